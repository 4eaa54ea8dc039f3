/**
 * The watches' e2e suites: one Jest file for several former spec files, so that the module graph they share (Nest, Fastify,
 * Swagger, class-validator, src/) loads once instead of once a file (docs/testing.md, "Grouped suites").
 * Each `*.cases.ts` keeps its own describe blocks and hooks, required inside its own describe: its
 * beforeAll/afterAll stay its own, its name stays findable with `-t`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside each describe, so that a file's hooks stay its own */
describe('watch-demo.e2e', () => { require('./watch-demo.e2e.cases'); });
describe('watch-atom.e2e', () => { require('./watch-atom.e2e.cases'); });
describe('watch-notice-text.e2e', () => { require('./watch-notice-text.e2e.cases'); });
describe('watches-shared.e2e', () => { require('./watches-shared.e2e.cases'); });
describe('watches.e2e', () => { require('./watches.e2e.cases'); });
describe('erasure-watches.e2e', () => { require('./erasure-watches.e2e.cases'); });
describe('watch-figure-revisited.e2e', () => { require('./watch-figure-revisited.e2e.cases'); });
describe('watch-limits.e2e', () => { require('./watch-limits.e2e.cases'); });
describe('watch-webhooks.e2e', () => { require('./watch-webhooks.e2e.cases'); });
