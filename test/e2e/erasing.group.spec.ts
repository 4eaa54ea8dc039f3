/**
 * Erasure, withholding, exports and integrity e2e suites: one Jest file for several former spec files, so that the module graph they share (Nest, Fastify,
 * Swagger, class-validator, src/) loads once instead of once a file (docs/testing.md, "Grouped suites").
 * Each `*.cases.ts` keeps its own describe blocks and hooks, required inside its own describe: its
 * beforeAll/afterAll stay its own, its name stays findable with `-t`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside each describe, so that a file's hooks stay its own */
describe('erasure.e2e', () => { require('./erasure.e2e.cases'); });
describe('erasure-feeds.e2e', () => { require('./erasure-feeds.e2e.cases'); });
describe('erasure-marks.e2e', () => { require('./erasure-marks.e2e.cases'); });
describe('withholding.e2e', () => { require('./withholding.e2e.cases'); });
describe('export.e2e', () => { require('./export.e2e.cases'); });
describe('export-safety.e2e', () => { require('./export-safety.e2e.cases'); });
describe('integrity.e2e', () => { require('./integrity.e2e.cases'); });
describe('evidence.e2e', () => { require('./evidence.e2e.cases'); });
