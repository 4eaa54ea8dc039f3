/**
 * Rebuilds: one Jest file for several former spec files, so that the module graph they share (Nest, Fastify,
 * Swagger, class-validator, src/) loads once instead of once a file (docs/testing.md, "Grouped suites").
 * Each `*.cases.ts` keeps its own describe blocks and hooks, required inside its own describe: its
 * beforeAll/afterAll stay its own, its name stays findable with `-t`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside each describe, so that a file's hooks stay its own */
describe('rebuild', () => { require('./rebuild.cases'); });
describe('rebuild-equals-live', () => { require('./rebuild-equals-live.cases'); });
