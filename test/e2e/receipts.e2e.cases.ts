import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { checkInclusion, verifyCheckpoint } from '../../src/integrity/verifier';
import { claimBody, correctionBody, factBody, figureBody } from '../support/factories';
import { createTestApp } from '../support/app';

/** A cited answer can be asked again at the state of the record its receipt names, and comes back byte for byte. */
describe('citable answers', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('reproduces each read from its receipt after the record has moved on', async () => {
    const fact = factBody();
    const figure = figureBody();
    await http().post('/facts').send(fact).expect(201);
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Coalition formed in September 2014' })).expect(200);
    await http().post('/figures').send(figureBody(figure)).expect(201);
    await http().post(`/figures/${figure.id}/claims`).send(claimBody()).expect(201);
    const verifierKey = (await http().get('/integrity/verifier-key').expect(200)).text.trim();

    const paths = [`/timeline?asOf=2019-03-01`, `/facts/${fact.id}`, `/facts/${fact.id}/history`, `/figures`, `/figures/${figure.id}?asOf=2019-03-01`];
    const cited = [];
    for (const path of paths) {
      const response = await http().get(`${path}${path.includes('?') ? '&' : '?'}receipt=true`).expect(200);
      cited.push({ path, ...response.body });
    }

    // The record moves on: a new correction, a revised claim, a retraction.
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Formed on 10 September 2014' })).expect(200);
    await http().post(`/figures/${figure.id}/claims`).send(claimBody({ claimant: 'Airwars', value: { kind: 'exact', value: 7600 } })).expect(201);
    await http().post(`/facts/${fact.id}/retraction`).send({ reason: 'duplicate' }).expect(200);

    for (const { path, answer, receipt } of cited) {
      const head = verifyCheckpoint(receipt.checkpoint, verifierKey);
      expect(head.size).toBe(receipt.treeSize);
      expect(receipt.request).toMatch(new RegExp(`^${path.split('?')[0]}\\?.*knownAt=`));
      expect(checkInclusion(receipt.lastLeaf, receipt.checkpoint, verifierKey).ok).toBe(true);
      // The receipt's time is the record time of the checkpoint's last event, proven by the leaf.
      expect(JSON.parse(receipt.lastLeaf.leaf).recordedAt).toBe(receipt.checkpointTime);
      expect(receipt.knownAt).toBe(receipt.checkpointTime);

      const again = await http().get(receipt.request).expect(200);
      expect(again.text).toBe(JSON.stringify(answer));
      expect(sha256(again.text)).toBe(receipt.answerSha256);
      // ...while the same question asked now gets today's answer.
      if (path.startsWith('/facts/')) expect((await http().get(path)).text).not.toBe(again.text);
    }
    const history = cited[2].answer;
    expect(history.versions).toHaveLength(2);
    expect(history.versions[1].supersededAt).toBeNull();
  });

  it('keeps an earlier knownAt asked for, and refuses a receipt value other than true or false', async () => {
    await http().post('/facts').send(factBody()).expect(201);
    const { receipt, answer } = (await http().get('/timeline?knownAt=2000-01-01T00:00:00Z&receipt=true').expect(200)).body;
    expect(receipt.knownAt).toBe('2000-01-01T00:00:00Z');
    expect(answer.items).toEqual([]);
    expect((await http().get('/timeline?receipt=false').expect(200)).body.items).toBeDefined();
    const refused = await http().get('/timeline?receipt=yes').expect(400);
    expect(refused.body.errors).toEqual([{ field: 'receipt', reason: 'must be true or false' }]);
  });
});
