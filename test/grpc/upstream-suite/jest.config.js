/**
 * Runs the EventStoreDB Node client's own Streams tests (fetched by run.sh into a temporary directory,
 * UPSTREAM_STREAMS, never into this repository) against Annals' endpoint. Not part of `npm test`: run.sh needs the network.
 */
const root = require('node:path').resolve(__dirname, '../../..');
module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: [process.env.UPSTREAM_STREAMS ?? '<rootDir>/streams'],
  testRegex: '\\.test\\.ts$',
  transform: { '^.+\\.ts$': [require.resolve('ts-jest'), { tsconfig: `${root}/tsconfig.json`, diagnostics: false }] },
  moduleNameMapper: { '^@test-utils$': '<rootDir>/test-utils.ts' },
  modulePaths: [`${root}/node_modules`],
  setupFilesAfterEnv: ['<rootDir>/jest29-aliases.js'],
  testTimeout: 60000,
  maxWorkers: 1,
};
