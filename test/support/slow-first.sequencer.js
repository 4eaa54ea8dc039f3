const Sequencer = require('@jest/test-sequencer').default;

/**
 * Suites that take tens of seconds, longest first, so the run does not end with one worker busy
 * on a long suite while the other sits idle: ordered by Jest's own timings of a whole run (its
 * cache's perf-cache-* file, or `npx jest --json`; re-sort the list from one when suites change). A clean
 * clone has no timing cache for Jest's own ordering (it falls back to file size, which says little about
 * suites that boot services); once a cache exists, its order decides among the rest. Measured on a 2-core
 * machine under load. The suites that run the production build (BUILT, below) come after the first long
 * ones, which keep both workers busy while the global setup's build runs beside them.
 */
const SLOWEST = [
  // The replica failover scenarios, one a file (test/support/failover.ts), ~85 s together in one file before.
  'test/e2e/replicas-failover-standby.e2e.spec.ts',
  'test/cli/backup-restore.cli.spec.ts',
  'test/docs/shell-blocks.spec.ts', // ~60 s, the production build waited for
  'test/e2e/replicas-failover.e2e.spec.ts',
  // Grouped suites (docs/testing.md, "Grouped suites"), by their time on one worker under load.
  'test/browser/browser.group.spec.ts', // four browser suites, ~40 s
  'test/e2e/stores.group.spec.ts',
  'test/integration/integration.group.spec.ts',
  'test/e2e/erasing.group.spec.ts',
  'test/e2e/watching.group.spec.ts',
  'test/cli/cli.group.spec.ts',
  'test/grpc/grpc.group.spec.ts',
  'test/e2e/http-surface.group.spec.ts',
  'test/e2e/reading.group.spec.ts',
  'test/e2e/replicas-lease-kill.e2e.spec.ts',
  'test/failure/fuzz.spec.ts',
  'test/deploy/dockerfile.spec.ts',
  'test/e2e/answers.group.spec.ts',
  'test/failure/kill-9.spec.ts',
  'test/browser/live-charts.browser.spec.ts',
  'test/cli/import.cli.spec.ts',
  'test/grpc/attacks.spec.ts',
  'test/e2e/trust.group.spec.ts',
  'test/cli/examples.cli.spec.ts',
  'test/browser/ui.browser.spec.ts',
  'test/failure/watch-kill-9.spec.ts',
  'test/e2e/production-entry.e2e.spec.ts',
  'test/grpc/esdb-only.spec.ts',
  'test/e2e/start-up.e2e.spec.ts',
  'test/unit/unit.group.spec.ts', // 60 unit suites
  'test/integration/rebuilding.group.spec.ts',
  'test/e2e/postgres-operations.e2e.spec.ts', // ~10 s and below from here
  'test/contract/contract.group.spec.ts',
  'test/api/api.group.spec.ts',
  'test/e2e/shutdown.e2e.spec.ts',
  'test/unit/architecture.spec.ts',
  'test/config/docker-compose.spec.ts',
];

/**
 * Suites that run the production build (scripts/ensure-build.js): when one is in the run, the global setup
 * starts the build at once, in the background (it reads this variable), and these suites wait for it.
 */
const BUILT = ['test/docs/shell-blocks.spec.ts', 'test/deploy/dockerfile.spec.ts', 'test/e2e/production-entry.e2e.spec.ts'];
const BUILD_WANTED = 'ANNALS_TEST_BUILD_WANTED';

function normalized(path) {
  return path.split('\\').join('/');
}

function rank(path) {
  const index = SLOWEST.findIndex((suffix) => normalized(path).includes(`/${suffix}`));
  return index === -1 ? SLOWEST.length : index;
}

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    process.env[BUILD_WANTED] = tests.some((test) => BUILT.some((suffix) => normalized(test.path).endsWith(`/${suffix}`))) ? '1' : '0';
    const cached = super.sort(tests);
    return cached
      .map((test, order) => ({ test, order }))
      .sort((a, b) => rank(a.test.path) - rank(b.test.path) || a.order - b.order)
      .map(({ test }) => test);
  }
}

module.exports = SlowFirstSequencer;
module.exports.BUILD_WANTED = BUILD_WANTED;
