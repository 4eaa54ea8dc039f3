import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, factBody, figureBody } from '../support/factories';

/**
 * 50 writers race at once over HTTP, each with the If-Match it read, on one fact (corrections)
 * and on one figure (claims): per round exactly one wins and 49 get 412 stale-revision, and the
 * stream holds exactly the winners' events: no lost update, no phantom one.
 */

const WRITERS = 50;
const ROUNDS = 5;

describe('concurrent If-Match writers', () => {
  let app: NestFastifyApplication;
  let base: string;
  let store: EventStore;
  const tally = { rounds: 0, won: 0, stale: 0, other: 0 };

  beforeAll(async () => {
    app = await createTestApp({ auth: { rateLimitsPerMinute: { reads: 1_000_000, writes: 1_000_000, auth: 1_000_000 } } });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    store = app.get<EventStore>(EVENT_STORE);
  });
  afterAll(async () => {
    console.log(
      `if-match: ${tally.rounds} rounds × ${WRITERS} concurrent writers (fact corrections and figure claims): ` +
        `${tally.won} won, ${tally.stale} refused 412 stale-revision, ${tally.other} other answers; the streams hold exactly the winners`,
    );
    await app.close();
  });

  const post = (path: string, body: unknown, ifMatch: string) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'if-match': ifMatch }, body: JSON.stringify(body) });

  /** Sends every writer at once and returns the index of the single winner. */
  async function round(path: string, bodies: unknown[], etag: string): Promise<number> {
    const answers = await Promise.all(bodies.map((body) => post(path, body, etag)));
    const statuses = answers.map((a) => a.status);
    const codes = await Promise.all(answers.map(async (a) => (a.ok ? 'ok' : ((await a.json()) as { code: string }).code)));
    const winners = statuses.flatMap((s, i) => (s < 300 ? [i] : []));
    tally.rounds++;
    tally.won += winners.length;
    tally.stale += statuses.filter((s) => s === 412).length;
    tally.other += statuses.filter((s) => s >= 300 && s !== 412).length;
    expect(winners).toHaveLength(1);
    expect(codes.filter((c) => c === 'stale-revision')).toHaveLength(WRITERS - 1);
    return winners[0];
  }

  it('lets exactly one correction of a fact win per round', async () => {
    const fact = factBody();
    expect((await post('/facts', fact, '')).status).toBe(201);
    const winners: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const etag = (await fetch(`${base}/facts/${fact.id}`)).headers.get('etag')!;
      const titles = Array.from({ length: WRITERS }, (_, w) => `Round ${r}, writer ${w}`);
      const winner = await round(`/facts/${fact.id}/corrections`, titles.map((title) => correctionBody({ title })), etag);
      winners.push(titles[winner]);
      expect((await fetch(`${base}/facts/${fact.id}`)).headers.get('etag')).toBe(`"${r + 1}"`);
    }
    const events = await store.readStream(`fact-${fact.id}`);
    expect(events.slice(1).map((e) => (e.data as { changes: { title: string } }).changes.title)).toEqual(winners);
    const history = (await (await fetch(`${base}/facts/${fact.id}/history`)).json()) as { versions: { title: string }[] };
    expect(history.versions.map((v) => v.title)).toEqual([fact.title, ...winners]);
  });

  it('lets exactly one claim on a figure win per round', async () => {
    const figure = figureBody();
    expect((await post('/figures', figure, '')).status).toBe(201);
    const winners: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const etag = (await fetch(`${base}/figures/${figure.id}`)).headers.get('etag')!;
      const claims = Array.from({ length: WRITERS }, (_, w) => claimBody({ id: `claim-${r}-${w}`, claimant: `Monitor ${r}-${w}` }));
      const winner = await round(`/figures/${figure.id}/claims`, claims, etag);
      winners.push(claims[winner].id!);
    }
    const events = await store.readStream(`figure-${figure.id}`);
    expect(events.map((e) => e.type)).toEqual(['FigureDefined', ...winners.map(() => 'ClaimAsserted')]);
    expect(events.slice(1).map((e) => (e.data as { claimId: string }).claimId)).toEqual(winners);
    const view = (await (await fetch(`${base}/figures/${figure.id}`)).json()) as { revision: string; claims: { id?: string; claimId?: string }[] };
    expect(view.revision).toBe(String(ROUNDS));
    expect(view.claims.map((c) => c.claimId ?? c.id).sort()).toEqual([...winners].sort());
  });
});
