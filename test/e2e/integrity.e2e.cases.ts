import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { eventHash } from '../../src/event-store/event-hash';
import { checkConsistency, checkInclusion, verifyCheckpoint } from '../../src/integrity/verifier';
import { correctionBody, factBody } from '../support/factories';
import { createTestApp } from '../support/app';

describe('the verifiable record over HTTP', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves a signed checkpoint, its key, and proofs that the standalone verifier accepts', async () => {
    const key = (await http().get('/integrity/public-key').expect(200)).body;
    expect(key).toMatchObject({ algorithm: 'Ed25519', name: 'annals.localhost/log', keyId: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect((await http().get('/integrity/verifier-key').expect(200)).text).toBe(`${key.verifierKey}\n`);

    const fact = factBody();
    const written = (await http().post('/facts').send(fact).expect(201)).body;
    const kept = await http().get('/integrity/checkpoint').expect(200);
    expect(kept.headers['content-type']).toMatch(/^text\/plain/);
    const keptHead = verifyCheckpoint(kept.text, key.verifierKey);

    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Formed in September 2014' })).expect(200);
    const json = (await http().get('/integrity/checkpoint.json').expect(200)).body;
    expect(json).toMatchObject({ origin: 'annals.localhost/log', treeSize: keptHead.size + 1, lastPosition: expect.any(String), time: expect.any(String) });
    expect(verifyCheckpoint(json.note, key.verifierKey).rootHash.toString('base64')).toBe(json.rootHash);

    const inclusion = (await http().get(`/integrity/inclusion?position=${written.position}`).expect(200)).body;
    const check = checkInclusion(inclusion, json.note, key.verifierKey);
    expect(check).toMatchObject({ ok: true });
    const leaf = JSON.parse(inclusion.leaf);
    expect(leaf).toMatchObject({ position: written.position, stream: `fact-${fact.id}`, revision: '0', type: 'FactRecorded', metadata: { actor: 'anonymous', prevHash: null } });
    expect(leaf.metadata.hash).toBe(eventHash({ streamId: leaf.stream, revision: 0n, type: leaf.type, data: leaf.data, metadata: leaf.metadata }));
    const byId = (await http().get(`/integrity/inclusion?eventId=${leaf.id}`).expect(200)).body;
    expect(byId).toEqual(inclusion);
    // An altered leaf no longer matches.
    expect(checkInclusion({ ...inclusion, leaf: inclusion.leaf.replace('anonymous', 'someone') }, json.note, key.verifierKey).ok).toBe(false);

    const consistency = (await http().get(`/integrity/consistency?from=${keptHead.size}`).expect(200)).body;
    expect(checkConsistency(consistency, kept.text, json.note, key.verifierKey)).toMatchObject({ ok: true });

    // Older tree sizes have proofs too, without a checkpoint of their own.
    const older = (await http().get(`/integrity/inclusion?position=${written.position}&treeSize=${keptHead.size}`).expect(200)).body;
    expect(older).toMatchObject({ treeSize: keptHead.size, checkpoint: null });
    expect(checkInclusion(older, kept.text, key.verifierKey).ok).toBe(true);
  });

  it('answers bad proof requests with a 4xx naming the field', async () => {
    const bad = async (path: string, status: number, field: string) => {
      const response = await http().get(path).expect(status);
      expect(response.body.errors?.[0]?.field).toBe(field);
    };
    await bad('/integrity/inclusion', 400, 'eventId');
    await bad('/integrity/inclusion?position=1&eventId=6f1c4e8e-6b8e-4f4a-9b7e-0c3c1b1e2d3f', 400, 'position');
    await bad('/integrity/inclusion?position=abc', 400, 'position');
    await bad('/integrity/inclusion?eventId=6f1c4e8e-6b8e-4f4a-9b7e-0c3c1b1e2d3f', 404, 'eventId');
    await bad('/integrity/inclusion?position=1&treeSize=999999', 400, 'treeSize');
    await bad('/integrity/consistency', 400, 'from');
    await bad('/integrity/consistency?from=5&to=2', 400, 'from');
  });

  it('verifies the whole store on request', async () => {
    const report = (await http().post('/admin/verify').expect(200)).body;
    expect(report).toMatchObject({ ok: true, firstMismatch: null, legacyEvents: 0, checkpoint: { matches: true } });
    expect(report.events).toBeGreaterThan(0);
    expect((await http().get('/admin/integrity').expect(200)).body.status).toBe('verified');
    await http().post('/admin/integrity/acknowledge').send({ reason: 'nothing wrong' }).expect(409);
  });
});
