#!/usr/bin/env bash
# The EventStoreDB Node client's own Streams suite (tag v6.2.1, packages/test/src/streams, 107 tests) against Annals.
# Fetches the tests into ./streams (ignored by git), swaps their Docker-based test node for Annals' endpoint
# (test-utils.ts) and their custom Jest environment for Node's, and runs them. Needs the network and git.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# UPSTREAM_REPO: a local clone of the client's repository, when there is one.
git clone --quiet --depth 1 --branch v6.2.1 "${UPSTREAM_REPO:-https://github.com/EventStore/EventStore-Client-NodeJS}" "$work/client"
rm -rf "$here/streams" && cp -r "$work/client/packages/test/src/streams" "$here/streams"
# Their environment only records the server's capabilities, which test-utils.ts answers itself (24.10.0).
sed -i 's#@jest-environment ./src/utils/enableVersionCheck.ts#@jest-environment node#' "$here"/streams/*.ts
cd "$here/../../.." && npx jest -c "$here/jest.config.js" "$@"
