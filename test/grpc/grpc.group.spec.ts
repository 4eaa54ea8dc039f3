/**
 * The shorter gRPC suites: one Jest file for several former spec files, so that the module graph they share (Nest, Fastify,
 * Swagger, class-validator, src/) loads once instead of once a file (docs/testing.md, "Grouped suites").
 * Each `*.cases.ts` keeps its own describe blocks and hooks, required inside its own describe: its
 * beforeAll/afterAll stay its own, its name stays findable with `-t`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside each describe, so that a file's hooks stay its own */
describe('stream-state', () => { require('./stream-state.cases'); });
describe('event-ids', () => { require('./event-ids.cases'); });
describe('gossip', () => { require('./gossip.cases'); });
describe('user-streams', () => { require('./user-streams.cases'); });
describe('grpc-auth', () => { require('./grpc-auth.cases'); });
describe('subscriptions', () => { require('./subscriptions.cases'); });
describe('kurrent-client', () => { require('./kurrent-client.cases'); });
describe('exact-bytes', () => { require('./exact-bytes.cases'); });
describe('db-client', () => { require('./db-client.cases'); });
