#!/usr/bin/env bash
# The EventStoreDB Node client's own Streams suite (tag v6.2.1, packages/test/src/streams, 107 tests) against Annals.
# Copies the tests from a local clone (UPSTREAM_REPO) into a temporary directory (never into the repository: its typecheck and lint would
# take them in), swaps their Docker-based test node for Annals' endpoint
# (test-utils.ts) and their custom Jest environment for Node's, and runs them. Needs that clone and git, nothing off this machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# UPSTREAM_REPO: a local clone of the client's repository (fetch it once yourself).
: "${UPSTREAM_REPO:?set UPSTREAM_REPO to a local clone of https://github.com/EventStore/EventStore-Client-NodeJS (this script sends nothing off this machine)}"
git clone --quiet --depth 1 --branch v6.2.1 "$UPSTREAM_REPO" "$work/client"
export UPSTREAM_STREAMS="$work/client/packages/test/src/streams"
# Their environment only records the server's capabilities, which test-utils.ts answers itself (24.10.0).
sed -i 's#@jest-environment ./src/utils/enableVersionCheck.ts#@jest-environment node#' "$UPSTREAM_STREAMS"/*.ts
cd "$here/../../.." && npx jest -c "$here/jest.config.js" "$@"
