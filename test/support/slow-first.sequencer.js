const Sequencer = require('@jest/test-sequencer').default;

/**
 * Suites that take tens of seconds, longest first, so the run does not end with one worker busy
 * on a long suite while the other sits idle. A clean clone has no timing cache for Jest's own
 * ordering (it falls back to file size, which says little about suites that boot services); once
 * a cache exists, its order decides among the rest. Measured on a 2-core machine under load.
 */
const SLOWEST = [
  'test/docs/shell-blocks.spec.ts',
  'test/failure/fuzz.spec.ts',
  'test/deploy/dockerfile.spec.ts',
  'test/failure/kill-9.spec.ts',
  'test/grpc/attacks.spec.ts',
  'test/e2e/replicas-failover.e2e.spec.ts',
  'test/grpc/esdb-only.spec.ts',
  'test/cli/backup-restore.cli.spec.ts',
  'test/failure/watch-kill-9.spec.ts',
  'test/integration/rebuild.spec.ts',
  'test/e2e/production-entry.e2e.spec.ts',
  'test/browser/',
  'test/cli/import.cli.spec.ts',
  'test/e2e/backup-deployment.e2e.spec.ts',
  'test/e2e/start-up.e2e.spec.ts',
  'test/cli/examples.cli.spec.ts',
];

function rank(path) {
  const normalized = path.split('\\').join('/');
  const index = SLOWEST.findIndex((suffix) => normalized.includes(`/${suffix}`));
  return index === -1 ? SLOWEST.length : index;
}

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const cached = super.sort(tests);
    return cached
      .map((test, order) => ({ test, order }))
      .sort((a, b) => rank(a.test.path) - rank(b.test.path) || a.order - b.order)
      .map(({ test }) => test);
  }
}

module.exports = SlowFirstSequencer;
