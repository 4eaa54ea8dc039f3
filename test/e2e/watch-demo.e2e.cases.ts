import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EventSource } from 'eventsource';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { xml2js, type Element } from 'xml-js';
import { importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';
import { eventually, Receiver, watchesSettled } from '../support/watches';

const DEATHS = 'civilians-killed-by-coalition-strikes';
const COALITION_CLAIM = 'cjtf-oir-civilian-deaths-2019-03';
const COALITION = 'US-led coalition (CJTF-OIR)';
const ATOM = 'http://www.w3.org/2005/Atom';

/**
 * The "done when": a watch of the demo's casualty figure as of 2019-03-28 gets exactly one
 * notice, with before/after and the reason, when a correction of the coalition's claim is
 * recorded; a webhook receiver gets it signed; the notice is in the SSE and Atom feeds too.
 */
describe('watching the demo casualty figure', () => {
  let app: NestFastifyApplication;
  let receiver: Receiver;
  let source: EventSource | undefined;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    receiver = await new Receiver().start();
    // The receiver listens on this machine: private targets are allowed here as an operator would allow an internal receiver.
    app = await createTestApp({ watches: { webhookRetryBaseMs: 1000, webhookRetryMaxMs: 3_600_000, webhookMaxAttempts: 20, webhookTimeoutMs: 10_000, webhookAllowPrivate: true } });
    await app.listen(0, '127.0.0.1');
    await importDemoData(app);
  });
  afterAll(async () => {
    source?.close();
    await app.close();
    await receiver.stop();
  });

  it('one notice with before, after and the reason; a signed webhook; SSE and Atom', async () => {
    const { body: created } = await http()
      .post('/watches')
      .send({ kind: 'figure', figureId: DEATHS, asOf: '2019-03-28', title: 'Coalition toll as we published it', webhookUrl: receiver.url })
      .expect(201);
    const watchId: string = created.watch.id;
    const coalition = created.answer.claims.find((c: { claimant: string }) => c.claimant === COALITION);
    expect(coalition.value).toEqual({ kind: 'bound', qualifier: 'at_least', value: 1257 });

    const streamed: { id: string; notice: { id: string } }[] = [];
    source = new EventSource(`${await app.getUrl()}/watches/${watchId}/notices/stream`);
    source.addEventListener('notice', (m) => streamed.push({ id: m.lastEventId, notice: JSON.parse(m.data) }));
    await new Promise((resolve) => source!.addEventListener('open', resolve));

    const reason = 'CJTF-OIR monthly report of 28 March 2019: 1,259 after two late additions';
    await http()
      .post(`/figures/${DEATHS}/claims/${COALITION_CLAIM}/corrections`)
      .send({ reason, changes: { value: { kind: 'bound', qualifier: 'at_least', value: 1259 } } })
      .expect(200);
    await watchesSettled(app);

    const { body } = await http().get(`/watches/${watchId}/notices`).expect(200);
    expect(body.items).toHaveLength(1);
    const [notice] = body.items;
    expect(notice.reasons).toEqual([reason]);
    expect(notice.events).toEqual([expect.objectContaining({ type: 'ClaimCorrected', streamId: `figure-${DEATHS}`, actor: 'anonymous', reason })]);
    const claimOf = (answer: { claims: { claimant: string; value: { value: number } }[] }) => answer.claims.find((c) => c.claimant === COALITION)!;
    expect(claimOf(notice.before).value.value).toBe(1257);
    expect(claimOf(notice.after).value.value).toBe(1259);
    // Matched by claim id; the path is the claim's place in the answer after (the latest claims are sorted by value).
    const index = notice.after.claims.findIndex((c: { claimant: string }) => c.claimant === COALITION);
    const { claimId } = notice.after.claims[index];
    expect(notice.changes).toEqual(expect.arrayContaining([{ op: 'replace', path: `/claims/${index}/value/value`, claimId, before: 1257, after: 1259 }]));
    expect(notice.summary).toContain(reason);

    // The webhook, signed per Standard Webhooks, carries the same notice.
    const [delivery] = await eventually(() => (receiver.received.length > 0 ? receiver.received : undefined), 'the webhook');
    const payload = new Webhook(created.webhook.secret).verify(delivery.body, delivery.headers as Record<string, string>) as { data: { id: string; changes: unknown } };
    expect(payload.data.id).toBe(notice.id);
    expect(payload.data.changes).toEqual(notice.changes);

    // The SSE feed, id = the notice's sequence.
    await eventually(() => (streamed.length > 0 ? true : undefined), 'the notice on the stream');
    expect(streamed).toEqual([{ id: notice.sequence, notice: expect.objectContaining({ id: notice.id }) }]);

    // The Atom feed: RFC 4287's required elements, one entry for the one notice.
    const atom = await http().get(`/watches/${watchId}/notices.atom`).expect(200);
    expect(atom.headers['content-type']).toMatch(/^application\/atom\+xml/);
    const doc = xml2js(atom.text) as Element;
    const feed = doc.elements!.find((e) => e.name === 'feed')!;
    expect(feed.attributes?.xmlns).toBe(ATOM);
    const child = (e: Element, name: string) => e.elements?.filter((c) => c.name === name) ?? [];
    const text = (e: Element, name: string) => child(e, name)[0]?.elements?.[0]?.text ?? child(e, name)[0]?.elements?.[0]?.cdata;
    for (const name of ['id', 'title', 'updated']) expect(child(feed, name)).toHaveLength(1);
    expect(child(feed, 'link').some((l) => l.attributes?.rel === 'self')).toBe(true);
    const entries = child(feed, 'entry');
    expect(entries).toHaveLength(1);
    expect(text(entries[0], 'id')).toBe(`urn:uuid:${notice.id}`);
    expect(String(text(entries[0], 'updated'))).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(String(text(entries[0], 'title'))).toContain(reason);
    expect(child(child(entries[0], 'author')[0], 'name')).toHaveLength(1);
    expect(String(text(entries[0], 'content'))).toContain('at least 1,257 → at least 1,259');
  });
});
