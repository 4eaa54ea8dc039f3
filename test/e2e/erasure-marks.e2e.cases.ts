import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { checkConsistency, checkInclusion, verifyCheckpoint } from '../../src/integrity/verifier';
import { createTestApp } from '../support/app';
import { filesHolding } from '../support/files-holding';
import { claimBody, correctionBody, factBody, figureBody, sourceBody } from '../support/factories';

/** A witness whose name stands inside other text (a summary, a quote) and who also makes a claim. */
const WITNESS = 'Amina Yusuf';

describe('marked personal data: passages and fields a write marks as a subject’s', () => {
  let dir: string;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annals-erasure-marks-'));
    app = await createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') });
  });
  afterEach(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records marked passages, erases the witness: gone from every answer, export and file; verify and old proofs pass', async () => {
    const fact = factBody({
      title: 'Mass grave found in Raqqa',
      summary: `${WITNESS} led investigators to the site; ${WITNESS} had counted the bodies herself.`,
      sources: [sourceBody({ publisher: 'Human Rights Watch', quote: `"I buried them," said ${WITNESS}.` })],
      validTime: { at: '2018-07' },
    });
    const written = (
      await http()
        .post('/facts')
        .send({
          ...fact,
          subjects: [
            { subject: WITNESS, path: '/summary', passage: WITNESS },
            { subject: WITNESS, path: '/sources/0/quote' },
          ],
        })
        .expect(201)
    ).body;
    await http()
      .post(`/facts/${fact.id}/corrections`)
      .send({ ...correctionBody({ summary: `${WITNESS} led investigators to the site in July 2018.` }), subjects: [{ subject: WITNESS, path: '/changes/summary', passage: WITNESS }] })
      .expect(200);
    await http()
      .post(`/facts/${fact.id}/sources`)
      .send({ ...sourceBody({ publisher: 'Local radio', url: 'https://radio.example.org/raqqa', quote: `${WITNESS}: there were more.` }), subjects: [{ subject: WITNESS, path: '/quote', passage: WITNESS }] })
      .expect(200);
    const figure = figureBody({ name: 'Bodies found in the Raqqa grave', unit: 'people', scope: { places: ['Raqqa'] } });
    await http().post('/figures').send(figure).expect(201);
    const claim = claimBody({ claimant: WITNESS, value: { kind: 'bound', value: 200, qualifier: 'about' }, assertedOn: '2018-07', period: undefined });
    await http().post(`/figures/${figure.id}/claims`).send({ ...claim, claimantType: 'person' }).expect(201);
    const before = new Date().toISOString();

    // Read paths see the witness; the log holds only ciphertext, the rest of each text readable.
    const shown = (await http().get(`/facts/${fact.id}`).expect(200)).body;
    expect(shown.summary).toBe(`${WITNESS} led investigators to the site in July 2018.`);
    expect((await http().get(`/figures/${figure.id}`).expect(200)).text).toContain(WITNESS);
    const log = (await http().get('/admin/export/log').expect(200)).text;
    expect(log).not.toMatch(/yusuf/i);
    expect(log).toContain('; led investigators to the site in July 2018.');
    expect(filesHolding(dir, 'Yusuf').length).toBeGreaterThan(0);

    const key = (await http().get('/integrity/verifier-key').expect(200)).text.trim();
    const kept = (await http().get('/integrity/checkpoint').expect(200)).text;
    const keptHead = verifyCheckpoint(kept, key);
    const inclusion = (await http().get(`/integrity/inclusion?position=${written.position}`).expect(200)).body;

    const erased = (await http().post('/admin/subjects/erase').send({ subject: WITNESS, reason: 'the witness is at risk' }).expect(200)).body;
    const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;

    // The passage alone is gone; the text around it stays, now and as known before the erasure.
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.summary).toBe(`${marker} led investigators to the site in July 2018.`);
    const past = (await http().get(`/facts/${fact.id}?knownAt=${before}`).expect(200)).body;
    expect(past.sources.map((s: { quote?: string }) => s.quote)).toEqual([marker, `${marker}: there were more.`]);
    const history = (await http().get(`/facts/${fact.id}/history`).expect(200)).body;
    expect(history.versions[0].summary).toBe(`${marker} led investigators to the site; ${marker} had counted the bodies herself.`);
    const claimant = (await http().get(`/figures/${figure.id}`).expect(200)).body.claims[0].claimant;
    expect(claimant).toBe(`${marker} (subject ${erased.subject})`);
    for (const path of [
      `/facts/${fact.id}`,
      `/facts/${fact.id}/history`,
      `/facts/${fact.id}/history?knownAt=${before}`,
      `/figures/${figure.id}`,
      `/figures/${figure.id}?knownAt=${before}`,
      `/export/figures/${figure.id}/claims`,
      '/timeline',
      `/timeline?knownAt=${before}`,
      '/export/timeline?format=timelinejs',
      '/admin/export/log',
    ]) {
      expect({ path, text: (await http().get(path).expect(200)).text }).not.toMatchObject({ text: expect.stringMatching(/yusuf/i) });
    }

    // Nothing in the log changed: verify passes, the old proof and checkpoint verify, the new one extends the old.
    expect((await http().post('/admin/verify').expect(200)).body).toMatchObject({ ok: true, firstMismatch: null });
    expect(checkInclusion(inclusion, kept, key).ok).toBe(true);
    const latest = (await http().get('/integrity/checkpoint').expect(200)).text;
    const consistency = (await http().get(`/integrity/consistency?from=${keptHead.size}`).expect(200)).body;
    expect(checkConsistency(consistency, kept, latest, key)).toMatchObject({ ok: true });

    await app.close();
    expect(filesHolding(dir, 'Yusuf')).toEqual([]);
  });

  it('refuses bad marks with a problem+json 400 naming each one, before anything is written', async () => {
    const fact = factBody({ summary: `${WITNESS} saw it.` });
    const bad = (
      await http()
        .post('/facts')
        .send({
          ...fact,
          subjects: [
            { subject: WITNESS, path: '/validTime/at' },
            { subject: WITNESS, path: '/summary', passage: 'Somebody Else' },
            { subject: WITNESS, path: '/sources/3/quote' },
            { subject: WITNESS, path: 'summary' },
            { subject: '', path: '/summary' },
          ],
        })
        .expect(400)
    ).body;
    expect(bad.errors.map((e: { field: string }) => e.field)).toEqual(['subjects[3].path', 'subjects[4].subject']);
    const rest = (
      await http()
        .post('/facts')
        .send({ ...fact, subjects: [{ subject: WITNESS, path: '/validTime/at' }, { subject: WITNESS, path: '/summary', passage: 'Somebody Else' }, { subject: WITNESS, path: '/sources/3/quote' }] })
        .expect(400)
    );
    expect(rest.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(rest.body.errors.map((e: { field: string }) => e.field)).toEqual(['subjects[0].path', 'subjects[1].passage', 'subjects[2].path']);

    // The marked name also written unmarked (the title) would stay readable for ever: refused, naming the mark.
    const leak = (await http().post('/facts').send({ ...fact, title: `${WITNESS} speaks`, subjects: [{ subject: WITNESS, path: '/summary', passage: WITNESS }] }).expect(400)).body;
    expect(leak.errors).toEqual([{ field: 'subjects[0].passage', reason: expect.stringContaining('/title') }]);
    // A subject id the service never gave, and a sealed value written by a client.
    const unknown = (await http().post('/facts').send({ ...fact, subjects: [{ subject: 'sAAAAAAAAAAAAAAAAAAAAAA', path: '/summary' }] }).expect(400)).body;
    expect(unknown.errors[0].field).toBe('subjects[0].subject');
    await http().post('/facts').send({ ...fact, summary: 'annals:sealed:v1:sAAAAAAAAAAAAAAAAAAAAAA:AAAA' }).expect(400);
    expect((await http().get('/timeline').expect(200)).body.items).toEqual([]);
    expect(filesHolding(dir, 'Yusuf')).toEqual([]);
  });
});
