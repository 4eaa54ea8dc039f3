/**
 * The read side's e2e suites (facts, figures, views, events): one Jest file for several former spec files, so that the module graph they share (Nest, Fastify,
 * Swagger, class-validator, src/) loads once instead of once a file (docs/testing.md, "Grouped suites").
 * Each `*.cases.ts` keeps its own describe blocks and hooks, required inside its own describe: its
 * beforeAll/afterAll stay its own, its name stays findable with `-t`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside each describe, so that a file's hooks stay its own */
describe('facts.e2e', () => { require('./facts.e2e.cases'); });
describe('figures.e2e', () => { require('./figures.e2e.cases'); });
describe('figure-lists.e2e', () => { require('./figure-lists.e2e.cases'); });
describe('figure-history-paging.e2e', () => { require('./figure-history-paging.e2e.cases'); });
describe('views.e2e', () => { require('./views.e2e.cases'); });
describe('demo.e2e', () => { require('./demo.e2e.cases'); });
describe('events.e2e', () => { require('./events.e2e.cases'); });
describe('event-types.e2e', () => { require('./event-types.e2e.cases'); });
describe('positions.e2e', () => { require('./positions.e2e.cases'); });
describe('answer-cache.property.e2e', () => { require('./answer-cache.property.e2e.cases'); });
