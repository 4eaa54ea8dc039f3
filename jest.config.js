/** CommonJS + ts-jest: NestJS 11 keeps CommonJS, so Jest runs in its default (non-ESM) mode. */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/test'],
  testRegex: '\\.spec\\.ts$',
  transform: {
    // ts-jest, but src/ as the global setup transpiled it already (test/support/jest-transform.js).
    '^.+\\.ts$': ['<rootDir>/test/support/jest-transform.js', { tsconfig: 'tsconfig.json' }],
    // @fastify/static (Swagger UI's file server) requires content-disposition 3, which ships only as
    // ESM: Node 20 loads it natively, Jest's CommonJS runtime needs it compiled.
    '/node_modules/content-disposition/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 20000,
  // Jest's default on 2 cores is one worker; most long suites wait on child processes (a built
  // service, the CLI, bash), so a second worker overlaps that waiting. A worker that grew past the
  // limit is replaced between suites instead of carrying the heap of every suite it ran.
  maxWorkers: 2,
  workerIdleMemoryLimit: '1GB',
  testSequencer: '<rootDir>/test/support/slow-first.sequencer.js',
  globalSetup: '<rootDir>/test/support/build-ui.global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  reporters: ['default', '<rootDir>/test/support/skipped-reporter.js'],
};
