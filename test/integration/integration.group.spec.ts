/**
 * The shorter integration suites: one Jest file for several former spec files, so that the module graph they share (Nest, Fastify,
 * Swagger, class-validator, src/) loads once instead of once a file (docs/testing.md, "Grouped suites").
 * Each `*.cases.ts` keeps its own describe blocks and hooks, required inside its own describe: its
 * beforeAll/afterAll stay its own, its name stays findable with `-t`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside each describe, so that a file's hooks stay its own */
describe('subject-marks-write', () => { require('./subject-marks-write.cases'); });
describe('sqlite-restore', () => { require('./sqlite-restore.cases'); });
describe('evidence-queries', () => { require('./evidence-queries.cases'); });
describe('projections', () => { require('./projections.cases'); });
describe('importer', () => { require('./importer.cases'); });
describe('events-v1', () => { require('./events-v1.cases'); });
describe('legacy-events', () => { require('./legacy-events.cases'); });
describe('watch-answer-storage', () => { require('./watch-answer-storage.cases'); });
describe('history-paging.property', () => { require('./history-paging.property.cases'); });
describe('verify-command', () => { require('./verify-command.cases'); });
describe('folded-state-cache', () => { require('./folded-state-cache.cases'); });
describe('start-check', () => { require('./start-check.cases'); });
describe('live-events', () => { require('./live-events.cases'); });
describe('watch-notice-repeat', () => { require('./watch-notice-repeat.cases'); });
describe('postgres-subject-keys', () => { require('./postgres-subject-keys.cases'); });
describe('postgres-withholding', () => { require('./postgres-withholding.cases'); });
describe('postgres-store', () => { require('./postgres-store.cases'); });
