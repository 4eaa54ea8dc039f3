import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { CSRF_HEADER } from '../auth/access.guard';
import { ANONYMOUS } from '../auth/auth.service';
import { DOMAIN_EVENT_DECLARATIONS } from '../domain/domain-events';
import { idFromKey } from '../event-store/handle-command';
import { describeCaching } from './answer-cache/openapi-caching';
import { arr, nullable, obj, ref, str, type Schema } from './openapi-schema';
import { PROBLEM_CONTENT_TYPE } from './problem';

/*
 * The OpenAPI document: what Nest derives from the controllers and DTOs, completed once here with
 * what it cannot derive, for every operation alike (those of controllers added later too):
 * - every error status an operation can answer, each with the problem+json schema;
 * - the schemas the answers name (the read models are plain objects, not classes Nest could describe; each
 *   controller declares its own answers beside its routes with @ApiOkResponse(answer(…)), see openapi-schema.ts);
 * - the headers every write reads (Idempotency-Key, X-Correlation-Id, If-Match) and /events' own;
 * - examples that work with "Try it out" on the demo data: reads name demo records, writes only their own;
 * - query parameters as optional as they are (a DTO default made the plugin mark them required).
 * Served at /docs/json (Swagger UI's) and /docs-json (Nest's usual address).
 */


const DATE = 'a date with its precision (YYYY, YYYY-MM, YYYY-MM-DD) or an EDTF window such as [2019-03-28..2019-03-31]';
const BIGINT = 'a bigint as a decimal string';

export const SCHEMAS: Record<string, Schema> = {
  Problem: obj(
    {
      type: str('a URI reference naming the kind of problem', { example: '/problems/invalid-request' }),
      title: str('a short summary of the kind of problem', { example: 'The request is not valid' }),
      status: { type: 'integer', example: 400 },
      detail: str('what went wrong with this request', { example: 'assertedOn: assertedOn must be a date written …' }),
      instance: str('the request path', { example: '/figures/civilians-killed-by-coalition-strikes/claims' }),
      code: str('a stable machine-readable code, the last segment of type', { example: 'invalid-request' }),
      errors: arr(obj({ field: str('the field at fault, as a path: sources[0].url', { example: 'assertedOn' }), reason: str('why it was refused') }, ['field', 'reason'])),
      currentRevision: str(`on 412: the stream's current revision (${BIGINT})`),
    },
    ['type', 'title', 'status', 'detail', 'code'],
    { description: 'RFC 9457 problem details (application/problem+json); extra members such as currentRevision on some problems.' },
  ),
  WriteResult: obj(
    {
      id: str('the id of the fact, figure or claim written'),
      revision: str(`the stream's revision after the write (${BIGINT}); also the ETag`),
      position: str(`the event's position in the global log (${BIGINT})`),
      projected: { type: 'boolean', description: 'whether the read models had caught up when the answer was sent (reads then see the write)' },
    },
    ['id', 'revision', 'position', 'projected'],
  ),
  Days: obj({ earliest: str('YYYY-MM-DD'), latest: str('YYYY-MM-DD') }, ['earliest', 'latest'], { description: 'the first and last day a date as given allows' }),
  Source: obj(
    {
      publisher: str(),
      title: str(),
      url: str(undefined, { format: 'uri' }),
      publishedOn: str(DATE),
      accessedOn: str(DATE),
      archivedUrl: str(undefined, { format: 'uri' }),
      quote: str(),
    },
    ['publisher', 'title', 'url'],
  ),
  Entity: obj({ type: str(undefined, { enum: ['person', 'organisation', 'place'] }), name: str() }, ['type', 'name']),
  ValidTime: obj({ at: str(DATE), from: str(`${DATE}, or '..' (open)`), to: str(`${DATE}, '..' (still holds) or '' (ended, unknown when)`) }, [], {
    description: 'either at (an event) or from with an optional to (a state)',
  }),
  Confidence: obj({ level: str(undefined, { enum: ['high', 'medium', 'low'] }), sourceGrade: str(), note: str() }, ['level']),
  Rank: obj({ value: str(undefined, { enum: ['preferred', 'normal', 'deprecated'] }), reason: str() }, ['value']),
  ClaimValue: obj(
    {
      kind: str(undefined, { enum: ['exact', 'range', 'bound'] }),
      value: { type: 'number' },
      min: { type: 'number' },
      max: { type: 'number' },
      qualifier: str(undefined, { enum: ['at_least', 'at_most', 'about', 'almost', 'more_than', 'fewer_than'] }),
    },
    ['kind'],
  ),
  LastChange: obj({ type: str('the event type', { example: 'FactCorrected' }), actor: str(), reason: nullable(str()) }, ['type']),
  Fact: obj(
    {
      id: str(),
      factId: str(),
      title: str(),
      summary: str(),
      tags: arr(str()),
      entities: arr(ref('Entity')),
      sources: arr(ref('Source')),
      validTime: ref('ValidTime'),
      kind: str('an event happened on a day; a state held over a period', { enum: ['event', 'state'] }),
      precision: str(),
      validDays: ref('Days'),
      certainty: str('with asOf: certain when its latest possible day is on or before asOf, possible when only its earliest is', { enum: ['certain', 'possible'] }),
      confidence: ref('Confidence'),
      status: str(undefined, { enum: ['recorded', 'corrected', 'retracted'] }),
      revision: str(BIGINT),
      position: str(BIGINT),
      recordedAt: str('when the service stored this version', { format: 'date-time' }),
      lastChange: ref('LastChange'),
    },
    ['id', 'title', 'validTime', 'kind', 'status', 'recordedAt'],
  ),
  FactVersion: { allOf: [ref('Fact'), obj({ supersededAt: nullable(str('when a later version replaced it', { format: 'date-time' })) })] },
  FactHistory: obj({ id: str(), versions: arr(ref('FactVersion')) }, ['id', 'versions']),
  Claim: obj(
    {
      figureId: str(),
      claimId: str(),
      claimant: str("who made the claim; a person claimant once erased reads '[erased on D] (subject <id>)'"),
      claimantType: str('what the claimant is, when the writer said; a person claimant is sealed as a subject (docs/erasure.md)', { enum: ['person', 'organisation', 'place'] }),
      value: ref('ClaimValue'),
      assertedOn: str(DATE),
      assertedDays: ref('Days'),
      period: ref('ValidTime'),
      sources: arr(ref('Source')),
      confidence: ref('Confidence'),
      rank: ref('Rank'),
      inferredFrom: arr(str()),
      status: str(undefined, { enum: ['asserted', 'corrected', 'retracted'] }),
      certainty: str(undefined, { enum: ['certain', 'possible'] }),
      low: { type: 'number', description: 'the lowest number the claim allows' },
      high: { type: 'number', description: 'the highest number the claim allows' },
      recordedAt: str(undefined, { format: 'date-time' }),
      position: str(BIGINT),
      possiblyNewer: arr(obj({ claimId: str(), value: ref('ClaimValue'), assertedOn: str(DATE) })),
    },
    ['claimId', 'claimant', 'value', 'assertedOn'],
  ),
  Spread: nullable(obj({ low: { type: 'number' }, high: { type: 'number' }, ratio: nullable({ type: 'number' }) }, ['low', 'high'])),
  Figure: obj(
    {
      id: str(),
      figureId: str(),
      name: str(),
      unit: str(),
      description: str(),
      scope: obj({ places: arr(str()), period: ref('ValidTime') }),
      revision: str(BIGINT),
      asOf: nullable(str()),
      knownAt: nullable(str(undefined, { format: 'date-time' })),
      claims: { ...arr(ref('Claim')), description: "each claimant's latest certain claim" },
      possibleClaims: { ...arr(ref('Claim')), description: 'claims whose date may fall after asOf' },
      spread: ref('Spread'),
      claimsMore: {
        type: 'integer',
        description: "in a list (GET /figures, the timeline's figures): the claimants whose latest claims `claims` leaves out (at most claimsLimit are shown, the spread's two ends among them); GET /figures/{id} shows them all",
      },
    },
    ['id', 'name', 'unit', 'claims'],
  ),
  HistoryEntry: obj(
    {
      kind: str(undefined, { enum: ['asserted', 'revised', 'corrected', 'retracted', 'ranked'] }),
      claimId: str(),
      value: ref('ClaimValue'),
      assertedOn: str(DATE),
      assertedDays: ref('Days'),
      recordedAt: str(undefined, { format: 'date-time' }),
      actor: str(),
      reason: str(),
      previous: nullable(obj({ claimId: str(), assertedOn: str(DATE), value: ref('ClaimValue') })),
      change: nullable({
        ...obj({
          low: { type: 'number', description: 'how far the low end moved (a single value moves both ends)' },
          high: { type: 'number', description: 'how far the high end moved' },
          ratio: nullable({ type: 'number', description: 'new high over old high' }),
          kind: obj({ from: str(), to: str() }, ['from', 'to']),
          qualifier: obj({ from: nullable(str()), to: nullable(str()) }, ['from', 'to']),
        }),
        description: 'for a revision: each end’s change; `kind` and `qualifier` only when they changed',
      }),
      mayLieBetween: { ...arr(str()), description: 'for a revision: claims whose place is uncertain and that may lie between the previous claim and this one' },
      orderUncertain: { type: 'boolean', description: 'the dates cannot settle its place among its claimant’s claims, so no change is reported' },
      orderUncertainWith: { ...arr(str()), description: 'the claims it may come before or after' },
      rank: ref('Rank'),
    },
    ['kind', 'claimId', 'assertedOn'],
  ),
  FigureWithHistory: {
    allOf: [
      ref('Figure'),
      obj({
        history: { type: 'object', description: "the history's first page (historyLimit claims): each claimant's claims in date order", additionalProperties: arr(ref('HistoryEntry')) },
        historyNext: nullable(str('pass as cursor to GET /figures/{id}/history for the next page (also in a Link rel="next" header); null: no more')),
      }),
    ],
  },
  FigureHistoryPage: obj(
    {
      id: str(),
      asOf: nullable(str()),
      knownAt: nullable(str(undefined, { format: 'date-time' })),
      history: {
        type: 'object',
        description: "limit claims in history order (claimant, then date), each with its record; a claimant may continue from the page before",
        additionalProperties: arr(ref('HistoryEntry')),
      },
      historyNext: nullable(str('pass as cursor for the next page (also in a Link rel="next" header); null: the last page')),
    },
    ['id', 'history', 'historyNext'],
  ),
  FigurePage: obj({ items: arr(ref('Figure')), nextCursor: nullable(str('pass as cursor for the next page')) }, ['items']),
  TimelinePage: obj(
    {
      asOf: nullable(str()),
      knownAt: nullable(str(undefined, { format: 'date-time' })),
      items: arr(ref('Fact')),
      nextCursor: nullable(str('pass as cursor for the next page')),
      inEffect: { ...arr(ref('Fact')), description: 'with asOf: the states in effect that day (at most 20)' },
      inEffectMore: { type: 'boolean' },
      figures: { ...arr(ref('Figure')), description: 'with asOf, on the first page: figures as of that day (at most 10)' },
      figuresMore: { type: 'boolean' },
    },
    ['asOf', 'knownAt', 'items'],
  ),
  Session: obj(
    { authenticated: { type: 'boolean' }, name: str(), role: str(undefined, { enum: ['reader', 'editor', 'admin'] }), readsNeedKey: { type: 'boolean' }, keysConfigured: { type: 'boolean' } },
    ['authenticated', 'readsNeedKey', 'keysConfigured'],
  ),
  SessionCreated: obj({ name: str(), role: str(), expiresAt: str(undefined, { format: 'date-time' }) }, ['name', 'role', 'expiresAt']),
  KeyList: obj(
    {
      items: arr(
        obj({ name: str(), role: str(undefined, { enum: ['reader', 'editor', 'admin'] }), onBehalfOf: { type: 'boolean' }, createdAt: str(undefined, { format: 'date-time' }), revokedAt: str(undefined, { format: 'date-time' }) }, ['name', 'role', 'createdAt']),
      ),
    },
    ['items'],
  ),
  RecordedEvent: obj(
    {
      id: str('the event id'),
      streamId: str(undefined, { example: 'figure-civilians-killed-by-coalition-strikes' }),
      revision: str(BIGINT),
      position: str(`${BIGINT}; also the SSE message id`),
      type: str("the event type; the domain's are the schemas named after them (their data) and listed at /events/types", { example: 'ClaimAsserted' }),
      data: { type: 'object' },
      metadata: { type: 'object' },
      recordedAt: str(undefined, { format: 'date-time' }),
    },
    ['id', 'streamId', 'revision', 'position', 'type', 'data', 'metadata', 'recordedAt'],
    { description: 'the data of one server-sent event' },
  ),
  // Each domain event's data, from its declaration (domain/domain-events.ts).
  ...Object.fromEntries(DOMAIN_EVENT_DECLARATIONS.map((declared) => [declared.type, { ...declared.schema, description: `${declared.type} (data): ${declared.summary}` }])),
};

const question = obj(
  {
    kind: str(undefined, { enum: ['figure', 'fact', 'timeline'] }),
    figureId: str(),
    factId: str(),
    asOf: str('YYYY-MM-DD'),
    tag: str(),
    entity: str(),
    text: str(),
    from: str(),
    to: str(),
    limit: { type: 'integer' },
  },
  ['kind'],
  { description: 'the saved question: a figure, a fact or a timeline query, as of a day' },
);
const answer = { type: 'object', description: 'the answer the question gives: the same JSON as the read it names (see `path`)' };
const watch = obj(
  {
    id: str(),
    title: nullable(str()),
    owner: str('the key name that made it'),
    question,
    description: str(),
    path: str('the API path that answers the same question now'),
    createdAt: str(undefined, { format: 'date-time' }),
    answerHash: str(),
    answeredAt: str('the log position of the stored answer'),
    webhook: nullable(obj({ url: str('shown to its owner and admins only'), delivery: { type: 'object' } }, ['delivery'])),
  },
  ['id', 'title', 'owner', 'question', 'description', 'path', 'createdAt', 'answerHash', 'answeredAt', 'webhook'],
);
const notice = obj(
  {
    id: str('also the webhook-id of its deliveries'),
    sequence: str('its place in the notice log; feeds resume after it'),
    watchId: str(),
    title: nullable(str()),
    question,
    path: str(),
    summary: str(),
    previousPosition: str(),
    position: str(),
    recordedAt: str(undefined, { format: 'date-time' }),
    events: arr(obj({ position: str(), id: str(), type: str(), streamId: str(), actor: nullable(str()), onBehalfOf: str(), reason: nullable(str()), recordedAt: str(undefined, { format: 'date-time' }) }, ['position', 'id', 'type', 'streamId', 'actor', 'reason', 'recordedAt'])),
    moreEvents: { type: 'integer' },
    actors: arr(str()),
    reasons: arr(str()),
    changes: arr(obj({ op: str(undefined, { enum: ['add', 'remove', 'replace'] }), path: str('a JSON Pointer into the answer'), before: {}, after: {} }, ['op', 'path'])),
    before: answer,
    after: answer,
    beforeHash: str(),
    afterHash: str(),
  },
  ['id', 'sequence', 'watchId', 'question', 'path', 'summary', 'position', 'recordedAt', 'events', 'changes', 'before', 'after'],
);
const eventStream = (what: string): Record<string, Schema> => ({ 'text/event-stream': str(`server-sent events: ${what}; each id is a log position (views) or a notice sequence (notices), for Last-Event-ID`) });
const atom = { 'application/atom+xml': str('an Atom 1.0 feed of the notices') };
/**
 * Watches and view streams (src/watches): the one answer list left here, until the watches' controllers
 * declare theirs with @ApiOkResponse beside each route as every other controller does.
 */
const WATCH_CONTENTS: Record<string, Record<string, Schema>> = {
  'post /watches': {
    'application/json': obj(
      { watch, answer, webhook: obj({ url: str(), secret: str('whsec_…: the Standard Webhooks signing secret, shown once'), note: str() }, ['url', 'secret']) },
      ['watch', 'answer'],
    ),
  },
  'get /watches': { 'application/json': obj({ items: arr(watch) }, ['items']) },
  'get /watches/{id}': { 'application/json': obj({ watch, answer }, ['watch', 'answer']) },
  'get /watches/{id}/notices': { 'application/json': obj({ items: arr(notice) }, ['items']) },
  'get /watches/{id}/notices/stream': eventStream("the watch's notices"),
  'get /watches/{id}/notices.atom': atom,
  'get /notices': { 'application/json': obj({ items: arr(notice) }, ['items']) },
  'get /notices/stream': eventStream('the notices of every watch, or of those named'),
  'get /notices.atom': atom,
  'get /views/figures/{id}': eventStream("the figure's answer, again whenever an event changes it"),
  'get /views/facts/{id}': eventStream("the fact's answer, again whenever an event changes it"),
  'get /views/timeline': eventStream("the timeline query's answer, again whenever an event changes it"),
};

const source = { publisher: 'The National', title: 'Anti-ISIS coalition admits 1,257 civilians killed since 2014', url: 'https://www.thenational.ae/', publishedOn: '[2019-03-28..2019-03-31]' };

/*
 * "Try it out" sends these as they are. Reads name the demo records; writes never do: they make and then
 * change their own `example-…` records, in the document's order (test/e2e/openapi-examples.e2e.cases.ts
 * executes them all on a fresh demo store and checks every demo record is unchanged). An Execute that
 * repeats a create answers 409 ("… already exists") instead of writing a copy.
 */
const EXAMPLE_FACT = 'example-baghouz-cleared';
const EXAMPLE_FIGURE = 'example-coalition-strikes';
const EXAMPLE_CLAIM = 'example-coalition-strike-count';
/** A watch created with this Idempotency-Key by the keyless demo's actor has a known id, so DELETE's example names it. */
const EXAMPLE_WATCH_KEY = 'example-watch';
const EXAMPLE_WATCH_ID = idFromKey(EXAMPLE_WATCH_KEY, `watch:${ANONYMOUS}`, 0);

/** Request bodies, by "METHOD path"; a newer route declares its example beside its controller with @ApiBody({ examples }). */
const EXAMPLES: Record<string, unknown> = {
  'post /facts': {
    id: EXAMPLE_FACT,
    title: 'Example (from Try it out): Baghouz, the last patch of territory held by Daesh, is cleared',
    summary: 'The Syrian Democratic Forces announce the end of the territorial caliphate.',
    tags: ['example', 'syria'],
    entities: [{ type: 'place', name: 'Baghouz' }],
    sources: [{ publisher: 'BBC News', title: 'IS defeated in final Syria victory, says SDF', url: 'https://www.bbc.co.uk/news/world-middle-east-47678157', publishedOn: '2019-03-23' }],
    validTime: { at: '2019-03-23' },
  },
  'post /facts/{id}/corrections': { reason: 'the summary named the wrong day', changes: { summary: 'Announced on 23 March 2019.' } },
  'post /facts/{id}/retraction': { reason: 'an example, not a record' },
  'post /figures': { id: EXAMPLE_FIGURE, name: 'Example (from Try it out): coalition air strikes in Iraq and Syria', unit: 'strikes', scope: { places: ['Iraq', 'Syria'], period: { from: '2014-08' } } },
  'post /figures/{id}/claims': { id: EXAMPLE_CLAIM, claimant: 'US-led coalition', value: { kind: 'bound', value: 34000, qualifier: 'almost' }, assertedOn: '[2019-03-28..2019-03-31]', sources: [source] },
  'post /figures/{id}/claims/{claimId}/corrections': { reason: 'the grade was missing', changes: { confidence: { level: 'medium', note: "the coalition's own count" } } },
  'post /figures/{id}/claims/{claimId}/retraction': { reason: 'an example, not a record' },
  'post /figures/{id}/claims/{claimId}/rank': { value: 'preferred', reason: 'the most recent count' },
  'post /admin/integrity/acknowledge': { reason: 'the mismatch was examined and the log as it now is accepted' },
  'post /admin/subjects/erase': { subject: 'Example Person (from Try it out)', reason: 'GDPR Art. 17 request 41' },
  'post /admin/withhold': { event: '00000000-0000-4000-8000-000000000000', paths: ['/summary', '/sources/0/quote'], reason: 'source protection (an example: no such event)' },
  'post /auth/session': { key: 'annals_…' },
  'post /watches': { kind: 'figure', figureId: 'civilians-killed-by-coalition-strikes', asOf: '2019-03-28', title: 'Example (from Try it out): the civilian toll as of the coalition\'s count' },
};

/** Bodies in other types than JSON: by "METHOD path", each media type with its schema and example. */
const RAW_BODIES: Record<string, Record<string, Schema>> = {
  'post /admin/import': {
    'application/x-ndjson': {
      schema: str('one record a line: {"kind":"fact"|"figure"|"claim", …} as POST /facts, /figures, /figures/{id}/claims take them'),
      example: `${JSON.stringify({ kind: 'fact', ...(EXAMPLES['post /facts'] as object), id: 'example-imported-fact', title: 'Example (from Try it out): an imported fact' })}\n`,
    },
    'text/csv': { schema: str('a CSV sheet in the import layout (see README "annals import")') },
    'application/vnd.annals.import+json': { schema: { type: 'object', description: '{"facts": […], "figures": […]} as data/demo.json' } },
  },
};

/** Path parameters of writes, which name the example records; reads name the demo's. */
const WRITE_PATH_EXAMPLES: Record<string, string> = { id: EXAMPLE_FIGURE, claimId: EXAMPLE_CLAIM };
const READ_PATH_EXAMPLES: Record<string, string> = { id: 'civilians-killed-by-coalition-strikes', claimId: 'airwars-civilian-deaths-2019-03' };
const pathExample = (method: string, path: string, name: string): string | undefined => {
  if (path.startsWith('/watches')) return EXAMPLE_WATCH_ID;
  if (path.startsWith('/facts')) return method === 'get' ? 'us-led-coalition-formed' : EXAMPLE_FACT;
  return (method === 'get' ? READ_PATH_EXAMPLES : WRITE_PATH_EXAMPLES)[name];
};
const QUERY_EXAMPLES: Record<string, string> = { asOf: '2019-03-31', tag: 'coalition', entity: 'Airwars' };
/** Query parameters whose example depends on the operation. */
const OPERATION_QUERY_EXAMPLES: Record<string, Record<string, string>> = { 'post /admin/import': { format: 'ndjson' } };
const HEADER_EXAMPLES: Record<string, Record<string, string>> = { 'post /watches': { 'Idempotency-Key': EXAMPLE_WATCH_KEY } };

/** A retraction ends a record's writes: listed after its siblings (rank, corrections), "Try it out" in page order can run them all. */
function retractionsLast(document: OpenAPIObject): void {
  const paths = Object.keys(document.paths);
  for (const retraction of paths.filter((p) => p.endsWith('/retraction'))) {
    const base = retraction.slice(0, -'retraction'.length);
    const order = Object.keys(document.paths);
    const last = order.filter((p) => p.startsWith(base)).pop() as string;
    if (last === retraction) continue;
    const item = document.paths[retraction];
    const entries = Object.entries(document.paths).filter(([p]) => p !== retraction);
    entries.splice(entries.findIndex(([p]) => p === last) + 1, 0, [retraction, item]);
    document.paths = Object.fromEntries(entries);
  }
}

const problemResponse = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } } });

/** The statuses an operation can answer besides its success, from what it takes. */
function errorsOf(method: string, path: string, operation: Record<string, unknown>): Record<string, string> {
  const parameters = (operation.parameters as { name: string; in: string }[] | undefined) ?? [];
  const write = method !== 'get';
  const errors: Record<string, string> = {
    400: 'the request is not valid: each field at fault in errors[] with its reason',
    401: 'a key is needed (Authorization: Bearer <key>, or the session cookie) and none or an unknown one was sent',
    403: "the key's role may not do this; or, from a session cookie, a write without the " + CSRF_HEADER + ' header',
    429: 'too many requests: Retry-After says when to try again',
    500: 'the service failed; the error was logged under the correlation id',
  };
  if (path.includes('{')) errors[404] = 'no such fact, figure or claim';
  if (method === 'post') {
    errors[409] = 'the write breaks a rule of the record (e.g. a correction of a retracted fact), or the Idempotency-Key was used with another body';
    errors[413] = 'the body is larger than the limit';
    errors[415] = 'the body is not application/json';
  }
  if (write) errors[503] = 'the event store is unavailable';
  if (parameters.some((p) => p.name === 'If-Match')) errors[412] = 'If-Match names a revision that is no longer current: someone changed it since you read it (currentRevision says where it is now)';
  return errors;
}

/** The headers of the record's writes (facts, figures, claims). */
const WRITE_HEADERS: Schema[] = [
  { name: 'Idempotency-Key', in: 'header', required: false, description: 'Retry-safe writes: the same key and body within the window return the first answer instead of writing twice.', schema: str() },
  { name: 'X-Correlation-Id', in: 'header', required: false, description: 'Kept in the event metadata and echoed in logs, to follow one change across systems.', schema: str() },
  { name: CSRF_HEADER, in: 'header', required: false, description: 'Required, with any value, on writes authenticated by the session cookie (the web page); not needed with a Bearer key.', schema: str() },
];

/** /events is a hand-written stream: its parameters and answer are described here. */
function describeEvents(document: OpenAPIObject): void {
  const operation = document.paths['/events']?.get as Record<string, unknown> | undefined;
  if (!operation) return;
  operation.parameters = [
    { name: 'from', in: 'query', required: false, description: "Start after this log position ('0' for everything); absent: live events only.", schema: str(undefined, { pattern: '^-?\\d{1,20}$', example: '0' }) },
    { name: 'types', in: 'query', required: false, description: 'Comma-separated event types.', schema: str(undefined, { example: 'ClaimAsserted,ClaimCorrected' }) },
    { name: 'streams', in: 'query', required: false, description: 'Comma-separated stream-name prefixes.', schema: str(undefined, { example: 'figure-' }) },
    { name: 'Last-Event-ID', in: 'header', required: false, description: 'Sent by a reconnecting EventSource: resume after this position (wins over from).', schema: str() },
  ];
  operation.responses = {
    200: {
      description:
        'A text/event-stream: each message has id (the log position), event (the event type) and data (a RecordedEvent as JSON); comments keep the connection alive every 15 s.',
      content: { 'text/event-stream': { schema: str('server-sent events; each data line is a RecordedEvent'), example: 'id: 14\nevent: ClaimAsserted\ndata: {"id":"…","streamId":"figure-…","position":"14",…}\n\n' } },
    },
    400: problemResponse('from or Last-Event-ID is not a log position'),
    401: problemResponse('reads need a key here and none or an unknown one was sent'),
    403: problemResponse("the key's role may not read"),
  };
  if (document.components?.schemas) (document.components.schemas as Record<string, Schema>).RecordedEvent = SCHEMAS.RecordedEvent;
}

/** Completes the derived document; see the comment at the top. */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...(document.components?.schemas ?? {}), ...SCHEMAS } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method) || !value || typeof value !== 'object') continue;
      const operation = value as Record<string, unknown> & { parameters?: Record<string, unknown>[]; responses?: Record<string, Record<string, unknown>> };
      const key = `${method} ${path}`;
      const parameters = operation.parameters ?? [];
      // Without the Swagger plugin (ts-jest, ts-node) a query DTO's fields are not listed: an example still needs its parameter.
      for (const name of Object.keys(OPERATION_QUERY_EXAMPLES[key] ?? {})) {
        if (!parameters.some((p) => p.in === 'query' && p.name === name)) parameters.push({ name, in: 'query', schema: str() });
      }
      operation.parameters = parameters;
      for (const parameter of parameters) {
        // Every query parameter is optional; a DTO default (limit = 20) made the plugin say otherwise.
        if (parameter.in === 'query') parameter.required = false;
        const queryExample = OPERATION_QUERY_EXAMPLES[key]?.[parameter.name as string] ?? QUERY_EXAMPLES[parameter.name as string];
        if (parameter.in === 'query' && queryExample !== undefined) parameter.example = queryExample;
        if (parameter.in === 'path') parameter.example = pathExample(method, path, parameter.name as string);
      }
      // The headers the write path reads (@Write): the record's own writes and watches, not login or admin.
      if (method === 'post' && /^\/(facts|figures|watches)/.test(path)) {
        const names = new Set(parameters.map((p) => p.name));
        operation.parameters = [
          ...parameters,
          ...WRITE_HEADERS.filter((h) => !names.has(h.name)).map((h) => (HEADER_EXAMPLES[key]?.[h.name as string] ? { ...h, example: HEADER_EXAMPLES[key][h.name as string] } : h)),
        ];
      }
      const responses = (operation.responses ??= {});
      // Answers are declared beside their controllers (@ApiOkResponse(answer('Fact')) and the like).
      const contents = WATCH_CONTENTS[key];
      for (const [status, response] of Object.entries(responses)) {
        if (!/^2\d\d$/.test(status) || status === '204') continue;
        if (contents) response.content = Object.fromEntries(Object.entries(contents).map(([type, schema]) => [type, { schema }]));
        if (response.description === undefined || response.description === '') response.description = 'OK';
      }
      for (const [status, description] of Object.entries(errorsOf(method, path, { parameters: operation.parameters }))) {
        if (status === '503' && responses['503']) continue;
        responses[status] ??= problemResponse(description);
      }
      const body = (operation.requestBody as { content?: Record<string, Record<string, unknown>> } | undefined)?.content?.['application/json'];
      if (body && EXAMPLES[key] !== undefined) body.example = EXAMPLES[key];
      // An example declared beside its controller (@ApiBody({ type, examples: { 'Try it out': { value } } })) is the one "Try it out" sends.
      const declared = body?.examples as Record<string, { value?: unknown }> | undefined;
      if (body && declared && body.example === undefined) {
        body.example = Object.values(declared)[0]?.value;
        delete body.examples;
      }
      if (RAW_BODIES[key]) operation.requestBody = { required: true, content: RAW_BODIES[key] };
    }
  }
  retractionsLast(document);
  describeEvents(document);
  describeCaching(document);
  return document;
}

/** The document at /docs (Swagger UI), /docs/json and /docs-json. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Annals')
    .setDescription(
      'Event-sourced timelines and the revision histories of disputed figures. Every fact is an immutable event; ' +
        'query the world as of a date (asOf), the record as known at an instant (knownAt), or both. ' +
        'Every error is RFC 9457 problem+json (the Problem schema) naming each field at fault.',
    )
    .setVersion('0.1.0')
    // Swagger UI's Authorize button then sends the key with "Try it out" (README "Access control").
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API key from `annals keys create`' })
    .addSecurityRequirements('bearer')
    .build();
  let document: OpenAPIObject | undefined;
  const build = (): OpenAPIObject => (document ??= completeDocument(SwaggerModule.createDocument(app, config)));
  SwaggerModule.setup('docs', app, build, { jsonDocumentUrl: 'docs/json' });
  app
    .getHttpAdapter()
    .getInstance()
    .get('/docs-json', (_request, reply) => {
      void reply.header('content-type', 'application/json; charset=utf-8').send(build());
    });
}
