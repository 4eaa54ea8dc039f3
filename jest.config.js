/** CommonJS + ts-jest: NestJS 11 keeps CommonJS, so Jest runs in its default (non-ESM) mode. */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/test'],
  testRegex: '\\.spec\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // @fastify/static (Swagger UI's file server) requires content-disposition 3, which ships only as
    // ESM: Node 20 loads it natively, Jest's CommonJS runtime needs it compiled.
    '/node_modules/content-disposition/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 20000,
  globalSetup: '<rootDir>/test/support/build-ui.global-setup.js',
  reporters: ['default', '<rootDir>/test/support/skipped-reporter.js'],
};
