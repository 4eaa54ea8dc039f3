import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { EVENT_STORE, type EventStore, type JsonObject } from '../../src/event-store/event-store';
import { AppliedPosition } from '../../src/projections/applied-position';
import { upcast } from '../../src/domain/upcast';
import { figureDecider } from '../../src/domain/figure/figure';
import { handleCommand } from '../../src/event-store/handle-command';
import { createTestApp } from '../support/app';

/**
 * Events exactly as the service wrote them before the evidence model (test/fixtures/events-v1.ndjson:
 * the demo import plus one correction and one retraction of each kind, a claim with a single `source`),
 * appended raw to a store, and read through today's code. The answers today's code gave over them
 * then are in answers-v1.json; the answers now must be the same, plus the new defaults, except where
 * the certainty rule changes them on purpose (each such place is written out below).
 */
const FIXTURES = join(__dirname, '..', 'fixtures');
const events = readFileSync(join(FIXTURES, 'events-v1.ndjson'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { streamId: string; type: string; data: JsonObject; metadata: JsonObject });
const before = JSON.parse(readFileSync(join(FIXTURES, 'answers-v1.json'), 'utf8')) as Record<string, Record<string, unknown>>;

/** Fields the evidence model adds to answers: checked for their defaults separately, then left out of the comparison. */
const NEW_FIELDS = new Set(['rank', 'assertedDays', 'certainty', 'possiblyNewer', 'possibleClaims', 'validDays', 'orderUncertain', 'orderUncertainWith', 'claimsMore', 'mayLieBetween']);
/** What a revision's change adds: the value's kind and qualifier when they changed (its ends and ratio are as before). */
const NEW_CHANGE_FIELDS = new Set(['kind', 'qualifier']);

/** Today's shape of yesterday's answer, minus what differs between two runs (record times). */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([key]) => key !== 'recordedAt' && key !== 'nextCursor' && key !== 'historyNext' && !NEW_FIELDS.has(key))
    .map(([key, v]) => (key === 'source' ? ['sources', [comparable(v)]] : key === 'change' ? [key, changeOf(v)] : [key, comparable(v)]));
  return Object.fromEntries(entries);
}

function changeOf(change: unknown): unknown {
  if (typeof change !== 'object' || change === null) return change;
  return Object.fromEntries(Object.entries(change).filter(([key]) => !NEW_CHANGE_FIELDS.has(key)));
}

describe('events of the shapes written before the evidence model', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const answer = async (url: string) => (await http().get(url).expect(200)).body as Record<string, unknown>;

  beforeAll(async () => {
    app = await createTestApp();
    const store = app.get<EventStore>(EVENT_STORE);
    let position = -1n;
    for (const [n, e] of events.entries()) {
      const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      ({ position } = await store.appendToStream(e.streamId, [{ id, type: e.type, data: e.data, metadata: e.metadata }]));
    }
    expect(await app.get(AppliedPosition).waitFor(position, 5000)).toBe(true);
  });

  afterAll(async () => {
    await app.close();
  });

  it('are stored as they were written: the single source is read as a list only on the way out', async () => {
    const stored = await app.get<EventStore>(EVENT_STORE).readStream('figure-civilians-killed-by-coalition-strikes');
    const old = stored.find((e) => e.data.claimId === 'fixture-claim' && e.type === 'ClaimAsserted');
    expect(old?.data.source).toBeDefined();
    expect(old?.data.sources).toBeUndefined();
    expect((upcast(old as never) as { data: { sources: unknown[] } }).data.sources).toEqual([old?.data.source]);
  });

  /**
   * The answers the certainty rule changes on purpose: a claim dated only by a month or a year is no
   * longer taken as made on its first day. Per answer: the claim that was the claimant's latest and is
   * now only possibly newer, and the certain claim that is the latest instead (null: none yet).
   */
  const AIRWARS_MARCH = { claimant: 'Airwars', was: 'airwars-civilian-deaths-2019-03', now: 'airwars-civilian-deaths-2017-05' };
  const CHANGED: Record<string, { claimant: string; was: string; now: string | null }[]> = {
    '/figures/civilians-killed-by-coalition-strikes?asOf=2017-03-01': [{ claimant: 'Example Monitor', was: 'fixture-claim', now: null }],
    '/figures/civilians-killed-by-coalition-strikes?asOf=2019-03-01': [AIRWARS_MARCH],
    '/timeline?asOf=2019-03-28': [AIRWARS_MARCH],
  };

  type Summary = { claims: { claimId: string; claimant: string; possiblyNewer: { claimId: string; certainty: string }[] }[]; possibleClaims: { claimId: string }[] };
  const figuresIn = (body: Record<string, unknown>): Summary[] => ((body.figures as Summary[] | undefined) ?? [body as unknown as Summary]);

  /** The answer without the changed claimants' latest claims and the spreads they move. */
  const unchangedPart = (body: Record<string, unknown>, url: string) => {
    const claimants = new Set((CHANGED[url] ?? []).map((c) => c.claimant));
    const strip = (figure: Record<string, unknown>) => ({
      ...figure,
      claims: (figure.claims as { claimant: string }[]).filter((c) => !claimants.has(c.claimant)),
      spread: claimants.size > 0 ? undefined : figure.spread,
    });
    const c = comparable(body) as Record<string, unknown>;
    return c.figures ? { ...c, figures: (c.figures as Record<string, unknown>[]).map(strip) } : c.claims ? strip(c) : c;
  };

  it.each(Object.keys(before))('answers %s as before, plus the new defaults', async (url) => {
    const now = await answer(url);
    expect(unchangedPart(now, url)).toEqual(unchangedPart(before[url], url));
    for (const change of CHANGED[url] ?? []) {
      const claimsThen = figuresIn(before[url]).flatMap((f) => f.claims);
      expect(claimsThen.find((c) => c.claimant === change.claimant)?.claimId).toBe(change.was);
      const figure = figuresIn(now).find((f) => [...f.claims, ...f.possibleClaims].some((c) => c.claimId === change.was || c.claimId === change.now));
      const latest = figure?.claims.find((c) => c.claimant === change.claimant);
      if (change.now === null) {
        expect(latest).toBeUndefined();
        expect(figure?.possibleClaims.map((c) => c.claimId)).toContain(change.was);
      } else {
        expect(latest?.claimId).toBe(change.now);
        expect(latest?.possiblyNewer.map((c) => [c.claimId, c.certainty])).toEqual([[change.was, 'possible']]);
      }
    }
  });

  it('gives every old claim the defaults: normal rank, certain without asOf, its days beside its date', async () => {
    const figure = await answer('/figures/civilians-killed-by-coalition-strikes');
    for (const claim of figure.claims as Record<string, unknown>[]) {
      expect(claim).toMatchObject({ rank: { value: 'normal' }, certainty: 'certain' });
      expect(claim.source).toBeUndefined();
      expect((claim.sources as unknown[]).length).toBe(1);
    }
    expect(figure.possibleClaims).toEqual([]);
    const airwars = (figure.claims as { claimant: string; assertedDays: unknown }[]).find((c) => c.claimant === 'Airwars');
    expect(airwars?.assertedDays).toEqual({ earliest: '2019-03-01', latest: '2019-03-31' });
  });

  it('folds old events into a decider through the same upcaster: an old claim can be corrected by its sources', async () => {
    const store = app.get<EventStore>(EVENT_STORE);
    const command = {
      type: 'CorrectClaim' as const,
      figureId: 'civilians-killed-by-coalition-strikes',
      claimId: 'fixture-claim',
      changes: { sources: [{ publisher: 'Example', title: 'Example', url: 'https://example.org/b', publishedOn: '2017', quote: 'between 100 and 200' }] },
    };
    // The same sources as stored in the old shape: nothing changes, and the decider says so.
    await expect(handleCommand(store, figureDecider, command, { actor: 't', correlationId: 'c', reason: 'r' })).rejects.toMatchObject({
      message: 'the correction changes nothing',
    });
  });
});
