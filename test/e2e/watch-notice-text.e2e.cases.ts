import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { xml2js, type Element } from 'xml-js';
import { importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';
import { watchesSettled } from '../support/watches';

const DEATHS = 'civilians-killed-by-coalition-strikes';
const BOOKKEEPING = /\/(recordedAt|position|revision|assertedDays|validDays)(\/|$)/;

interface Change {
  path: string;
  claimId?: string;
  before?: unknown;
  after?: unknown;
}

/**
 * Issue 21 item 5: a notice reads as a sentence (who or what, the value before → after, who changed
 * it and why), its changes are the values a reader cares about without the record's bookkeeping,
 * and its Atom entry is that sentence with the details below. On the demo's own figures and facts.
 */
describe('notices people can read', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp();
    await importDemoData(app);
  });
  afterAll(() => app.close());

  const watch = async (body: Record<string, unknown>) => ((await http().post('/watches').send(body).expect(201)).body as { watch: { id: string } }).watch.id;
  const onlyNotice = async (id: string) => {
    await watchesSettled(app);
    const { body } = await http().get(`/watches/${id}/notices`).expect(200);
    expect(body.items).toHaveLength(1);
    return body.items[0] as { summary: string; changes: Change[]; id: string };
  };
  const noBookkeeping = (changes: Change[]) => {
    for (const change of changes) {
      expect(change.path).not.toMatch(BOOKKEEPING);
      expect(JSON.stringify([change.before ?? null, change.after ?? null])).not.toMatch(/"(recordedAt|position)":/);
    }
  };

  it('a correction of the coalition count: claimant, before → after, actor and reason; the Atom entry reads the same', async () => {
    const id = await watch({ kind: 'figure', figureId: DEATHS, asOf: '2019-03-28' });
    await http()
      .post(`/figures/${DEATHS}/claims/cjtf-oir-civilian-deaths-2019-03/corrections`)
      .send({ reason: 'the report says 1,259', changes: { value: { kind: 'bound', qualifier: 'at_least', value: 1259 } } })
      .expect(200);
    const notice = await onlyNotice(id);
    expect(notice.summary).toBe('US-led coalition (CJTF-OIR): at least 1,257 → at least 1,259, corrected by anonymous: the report says 1,259');
    noBookkeeping(notice.changes);
    expect(notice.changes).toEqual(expect.arrayContaining([expect.objectContaining({ claimId: 'cjtf-oir-civilian-deaths-2019-03', before: 1257, after: 1259 })]));

    const doc = xml2js((await http().get(`/watches/${id}/notices.atom`).expect(200)).text) as Element;
    const entry = doc.elements![0].elements!.find((e) => e.name === 'entry')!;
    const text = (name: string) => {
      const node = entry.elements!.find((e) => e.name === name)!.elements![0];
      return String(node.text ?? node.cdata);
    };
    expect(text('title')).toBe(notice.summary);
    const content = text('content');
    expect(content.startsWith(`<p>${notice.summary}</p>`)).toBe(true);
    expect(content).toContain('US-led coalition (CJTF-OIR) · value: at least 1,257 → at least 1,259');
    expect(content).toContain('US-led coalition (CJTF-OIR) · history: added corrected at least 1,259');
    expect(content).not.toMatch(/recordedAt|\/claims\/\d/);
  });

  it('a new Airwars estimate: the claimant’s latest value before → after, with the day it was asserted', async () => {
    const id = await watch({ kind: 'figure', figureId: DEATHS });
    await http()
      .post(`/figures/${DEATHS}/claims`)
      .send({
        id: 'airwars-civilian-deaths-2019-04',
        claimant: 'Airwars',
        value: { kind: 'bound', qualifier: 'at_least', value: 7900 },
        assertedOn: '2019-04-30',
        source: { publisher: 'Airwars', title: 'Monthly assessment, April 2019', url: 'https://airwars.org/', publishedOn: '2019-04-30' },
      })
      .expect(201);
    const notice = await onlyNotice(id);
    expect(notice.summary).toBe('Airwars: at least 7,595 → at least 7,900 (claim of 2019-04-30), recorded by anonymous');
    noBookkeeping(notice.changes);
  });

  it('a retracted claim and a corrected fact name the claim and the fact', async () => {
    const strikes = await watch({ kind: 'figure', figureId: 'coalition-strikes' });
    await http().post('/figures/coalition-strikes/claims/cjtf-oir-strikes-2019-03/retraction').send({ reason: 'entered twice' }).expect(200);
    const retracted = await onlyNotice(strikes);
    expect(retracted.summary).toBe('US-led coalition (CJTF-OIR): 34,038, retracted by anonymous: entered twice');
    noBookkeeping(retracted.changes);

    const baghouz = await watch({ kind: 'fact', factId: 'baghouz-cleared' });
    await http()
      .post('/facts/baghouz-cleared/corrections')
      .send({ reason: 'the SDF announced it on 23 March; fighting ended the day before', changes: { validTime: { at: '2019-03-22' } } })
      .expect(200);
    const corrected = await onlyNotice(baghouz);
    expect(corrected.summary).toBe(
      "Baghouz, Daesh's last patch of territory, cleared: valid time 2019-03-23 → 2019-03-22, corrected by anonymous: the SDF announced it on 23 March; fighting ended the day before",
    );
    noBookkeeping(corrected.changes);
  });
});
