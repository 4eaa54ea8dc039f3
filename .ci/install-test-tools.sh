#!/usr/bin/env bash
# Installs the system tools the test suite drives, when they are missing: Debian's Chromium (the
# browser test, through playwright-core), docker-compose (to validate docker-compose.yml; no
# Docker engine is needed for `config`), curl and jq (the docs' shell blocks, run by test/docs) and PostgreSQL 15's server binaries (the tests start their own
# throw-away clusters; no service is created or started here). Idempotent. Without apt-get or root it installs nothing and
# says so: those tests then report themselves as skipped, never as passed.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15)
# jq and curl: the docs' shell blocks use them, and test/docs runs every block.
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -eq 0 ]; then
  echo "test tools: chromium, docker-compose, postgresql-15, jq and curl present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "test tools: cannot install ${missing[*]} (needs apt-get as root); their tests will be skipped"
  exit 0
fi
echo "test tools: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests make their own clusters: Debian's package must not create (and start) a main one on 5432.
mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/annals-tests.conf
# A failed install must not stop the test run: the tests that need the tool then say they were skipped.
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  echo "test tools: could not install ${missing[*]}; their tests will be reported as skipped"
fi
