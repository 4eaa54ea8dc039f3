/**
 * The unit suites (deciders, read models, watches, the store's pieces): one Jest file for the former spec files,
 * so that what they share (ts-jest's runtime, src/'s modules) loads once instead of once a file (docs/testing.md,
 * "Grouped suites"). Each `*.cases.ts` is required inside a describe of its path, so its hooks stay its own and
 * its name stays findable with `-t`. The architecture rules, the two long properties and the suites with fake
 * timers or environment changes stay files of their own.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside each describe, so that a file's hooks stay its own */
describe('api/bounded-claims.property', () => { require('./api/bounded-claims.property.cases'); });
describe('api/iso-instant.property', () => { require('./api/iso-instant.property.cases'); });
describe('auth/api-keys', () => { require('./auth/api-keys.cases'); });
describe('auth/fixed-window-throttler-storage', () => { require('./auth/fixed-window-throttler-storage.cases'); });
describe('auth/key-ring', () => { require('./auth/key-ring.cases'); });
describe('auth/keys-configured', () => { require('./auth/keys-configured.cases'); });
describe('auth/safe-defaults', () => { require('./auth/safe-defaults.cases'); });
describe('auth/shared-secrets', () => { require('./auth/shared-secrets.cases'); });
describe('config/timers', () => { require('./config/timers.cases'); });
describe('domain/certainty.property', () => { require('./domain/certainty.property.cases'); });
describe('domain/claim-value.property', () => { require('./domain/claim-value.property.cases'); });
describe('domain/edtf', () => { require('./domain/edtf.cases'); });
describe('domain/events-are-json', () => { require('./domain/events-are-json.cases'); });
describe('domain/evidence', () => { require('./domain/evidence.cases'); });
describe('domain/fact', () => { require('./domain/fact.cases'); });
describe('domain/figure', () => { require('./domain/figure.cases'); });
describe('domain/revision-chain.property', () => { require('./domain/revision-chain.property.cases'); });
describe('domain/text', () => { require('./domain/text.cases'); });
describe('domain/valid-time', () => { require('./domain/valid-time.cases'); });
describe('domain/valid-time.property', () => { require('./domain/valid-time.property.cases'); });
describe('erasure/keyed-seal', () => { require('./erasure/keyed-seal.cases'); });
describe('erasure/opened-values', () => { require('./erasure/opened-values.cases'); });
describe('erasure/subject-marks', () => { require('./erasure/subject-marks.cases'); });
describe('event-store/canonical-json', () => { require('./event-store/canonical-json.cases'); });
describe('event-store/event-hash', () => { require('./event-store/event-hash.cases'); });
describe('event-store/log-follower', () => { require('./event-store/log-follower.cases'); });
describe('event-store/multi-host', () => { require('./event-store/multi-host.cases'); });
describe('event-store/sqlite-live-events', () => { require('./event-store/sqlite-live-events.cases'); });
describe('event-store/stream-ownership', () => { require('./event-store/stream-ownership.cases'); });
describe('export/export-dates', () => { require('./export/export-dates.cases'); });
describe('export/export-safety', () => { require('./export/export-safety.cases'); });
describe('grpc/grpc-config', () => { require('./grpc/grpc-config.cases'); });
describe('grpc/grpc-filter', () => { require('./grpc/grpc-filter.cases'); });
describe('grpc/key-ring-authenticator', () => { require('./grpc/key-ring-authenticator.cases'); });
describe('integrity/signed-note', () => { require('./integrity/signed-note.cases'); });
describe('integrity/verify-log', () => { require('./integrity/verify-log.cases'); });
describe('integrity/verify-withheld', () => { require('./integrity/verify-withheld.cases'); });
describe('projections/answer-text.property', () => { require('./projections/answer-text.property.cases'); });
describe('projections/claim-order', () => { require('./projections/claim-order.cases'); });
describe('projections/claim-view-text.property', () => { require('./projections/claim-view-text.property.cases'); });
describe('projections/event-id-key', () => { require('./projections/event-id-key.cases'); });
describe('projections/every-read-model', () => { require('./projections/every-read-model.cases'); });
describe('projections/fact-view-text.property', () => { require('./projections/fact-view-text.property.cases'); });
describe('projections/figures.projection', () => { require('./projections/figures.projection.cases'); });
describe('projections/leaf', () => { require('./projections/leaf.cases'); });
describe('projections/merkle', () => { require('./projections/merkle.cases'); });
describe('projections/merkle-projection', () => { require('./projections/merkle-projection.cases'); });
describe('projections/merkle.projection', () => { require('./projections/merkle.projection.cases'); });
describe('projections/quarantine.projection', () => { require('./projections/quarantine.projection.cases'); });
describe('projections/subject-refs.projection', () => { require('./projections/subject-refs.projection.cases'); });
describe('projections/timeline.projection', () => { require('./projections/timeline.projection.cases'); });
describe('subscriptions/event-feed', () => { require('./subscriptions/event-feed.cases'); });
describe('test-groups', () => { require('./test-groups.cases'); });
describe('ui/api-positions', () => { require('./ui/api-positions.cases'); });
describe('ui/numbers', () => { require('./ui/numbers.cases'); });
describe('ui/revisions', () => { require('./ui/revisions.cases'); });
describe('ui/url-state', () => { require('./ui/url-state.cases'); });
describe('watches/answer-delta', () => { require('./watches/answer-delta.cases'); });
describe('watches/answer-diff', () => { require('./watches/answer-diff.cases'); });
describe('watches/notice-text', () => { require('./watches/notice-text.cases'); });
describe('watches/question-index', () => { require('./watches/question-index.cases'); });
describe('watches/question-seal', () => { require('./watches/question-seal.cases'); });
describe('watches/watch-lease', () => { require('./watches/watch-lease.cases'); });
describe('watches/webhook-secrets', () => { require('./watches/webhook-secrets.cases'); });
describe('watches/webhook-target', () => { require('./watches/webhook-target.cases'); });
