/**
 * PostgreSQL, replicas and backups e2e suites: one Jest file for several former spec files, so that the module graph they share (Nest, Fastify,
 * Swagger, class-validator, src/) loads once instead of once a file (docs/testing.md, "Grouped suites").
 * Each `*.cases.ts` keeps its own describe blocks and hooks, required inside its own describe: its
 * beforeAll/afterAll stay its own, its name stays findable with `-t`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside each describe, so that a file's hooks stay its own */
describe('postgres.e2e', () => { require('./postgres.e2e.cases'); });
describe('replicas.e2e', () => { require('./replicas.e2e.cases'); });
describe('replicas-withholding.e2e', () => { require('./replicas-withholding.e2e.cases'); });
describe('replicas-erasure.e2e', () => { require('./replicas-erasure.e2e.cases'); });
describe('backup-deployment.e2e', () => { require('./backup-deployment.e2e.cases'); });
