#!/usr/bin/env bash
# The EventStoreDB Node client's own Streams suite (tag v6.2.1, packages/test/src/streams, 107 tests) against Annals.
# Fetches the tests into a temporary directory (never into the repository: its typecheck and lint would
# take them in), swaps their Docker-based test node for Annals' endpoint
# (test-utils.ts) and their custom Jest environment for Node's, and runs them. Needs the network and git.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# UPSTREAM_REPO: a local clone of the client's repository, when there is one.
git clone --quiet --depth 1 --branch v6.2.1 "${UPSTREAM_REPO:-https://github.com/EventStore/EventStore-Client-NodeJS}" "$work/client"
export UPSTREAM_STREAMS="$work/client/packages/test/src/streams"
# Their environment only records the server's capabilities, which test-utils.ts answers itself (24.10.0).
sed -i 's#@jest-environment ./src/utils/enableVersionCheck.ts#@jest-environment node#' "$UPSTREAM_STREAMS"/*.ts
cd "$here/../../.." && npx jest -c "$here/jest.config.js" "$@"
