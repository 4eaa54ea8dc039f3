/**
 * The HTTP surface's e2e suites (OpenAPI, errors, security, access, metrics): one Jest file for several former spec files, so that the module graph they share (Nest, Fastify,
 * Swagger, class-validator, src/) loads once instead of once a file (docs/testing.md, "Grouped suites").
 * Each `*.cases.ts` keeps its own describe blocks and hooks, required inside its own describe: its
 * beforeAll/afterAll stay its own, its name stays findable with `-t`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside each describe, so that a file's hooks stay its own */
describe('required-objects.e2e', () => { require('./required-objects.e2e.cases'); });
describe('ui-assets.e2e', () => { require('./ui-assets.e2e.cases'); });
describe('openapi-examples.e2e', () => { require('./openapi-examples.e2e.cases'); });
describe('openapi.e2e', () => { require('./openapi.e2e.cases'); });
describe('docs.e2e', () => { require('./docs.e2e.cases'); });
describe('hostile-input.e2e', () => { require('./hostile-input.e2e.cases'); });
describe('errors.e2e', () => { require('./errors.e2e.cases'); });
describe('security.e2e', () => { require('./security.e2e.cases'); });
describe('admin.e2e', () => { require('./admin.e2e.cases'); });
describe('metrics.e2e', () => { require('./metrics.e2e.cases'); });
describe('receipts.e2e', () => { require('./receipts.e2e.cases'); });
describe('auth.e2e', () => { require('./auth.e2e.cases'); });
describe('key-lookup.e2e', () => { require('./key-lookup.e2e.cases'); });
describe('rate-limit.e2e', () => { require('./rate-limit.e2e.cases'); });
