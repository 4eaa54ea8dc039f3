import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { ReadModels } from '../../src/projections/read-models';
import { WatchStore } from '../../src/watches/watch-store';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, factBody, figureBody, uniqueId } from '../support/factories';
import { givenKeys } from '../support/keys';
import { watchesSettled } from '../support/watches';

/**
 * Watches: a saved question records a notice when a later event makes it give a different
 * answer, and only then. Each test settles the watch engine (it has evaluated the whole log)
 * before counting notices, so "none" means none, not "none yet".
 */
describe('watches', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  async function figureWithClaim(assertedOn: string, value = 100) {
    const figure = figureBody();
    await http().post('/figures').send(figure).expect(201);
    const claim = claimBody({ claimant: 'CJTF-OIR', assertedOn, value: { kind: 'bound', value, qualifier: 'at_least' }, period: undefined });
    await http().post(`/figures/${figure.id}/claims`).send(claim).expect(201);
    return { figureId: figure.id as string, claimId: claim.id as string };
  }

  async function watch(body: Record<string, unknown>): Promise<string> {
    const { body: created } = await http().post('/watches').send(body).expect(201);
    return created.watch.id;
  }

  async function notices(watchId: string) {
    await watchesSettled(app);
    return (await http().get(`/watches/${watchId}/notices`).expect(200)).body.items;
  }

  it('a late correction of a claim value: one notice on a watch as of a date after the claim, none on one before it', async () => {
    const { figureId, claimId } = await figureWithClaim('2019-02-15', 1257);
    const after = await watch({ kind: 'figure', figureId, asOf: '2019-03-28' });
    const before = await watch({ kind: 'figure', figureId, asOf: '2019-01-01' });
    const { body: correction } = await http()
      .post(`/figures/${figureId}/claims/${claimId}/corrections`)
      .set('x-correlation-id', 'desk-check-1')
      .send(correctionBody({ value: { kind: 'bound', value: 1300, qualifier: 'at_least' } }, 'the report says 1,300, not 1,257'))
      .expect(200);

    const [notice, ...more] = await notices(after);
    expect(more).toEqual([]);
    expect(notice.events).toEqual([expect.objectContaining({ type: 'ClaimCorrected', position: correction.position, actor: 'anonymous', reason: 'the report says 1,300, not 1,257' })]);
    expect(notice.reasons).toEqual(['the report says 1,300, not 1,257']);
    // Claims are matched by id: the change names its claim, and its path is the claim's place in the answer after.
    expect(notice.changes).toEqual(expect.arrayContaining([{ op: 'replace', path: '/claims/0/value/value', claimId: notice.after.claims[0].claimId, before: 1257, after: 1300 }]));
    expect(notice.before.claims[0].value.value).toBe(1257);
    expect(notice.after.claims[0].value.value).toBe(1300);
    expect(notice.position).toBe(correction.position);
    expect(notice.beforeHash).not.toBe(notice.afterHash);
    expect(await notices(before)).toEqual([]);
    // The stored answer is the new one.
    const { body: stored } = await http().get(`/watches/${after}`).expect(200);
    expect(stored.answer.claims[0].value.value).toBe(1300);
    expect(stored.watch.answerHash).toBe(notice.afterHash);
  });

  it('a claim backdated into the watched window is one notice; one dated after it is none', async () => {
    const { figureId } = await figureWithClaim('2019-02-15');
    const watchId = await watch({ kind: 'figure', figureId, asOf: '2019-03-28' });
    await http().post(`/figures/${figureId}/claims`).send(claimBody({ claimant: 'Airwars', assertedOn: '2019-06-01', period: undefined })).expect(201);
    expect(await notices(watchId)).toEqual([]);
    await http().post(`/figures/${figureId}/claims`).send(claimBody({ claimant: 'Airwars', assertedOn: '2018-06-01', period: undefined })).expect(201);
    const found = await notices(watchId);
    expect(found).toHaveLength(1);
    expect(found[0].events.map((e: { type: string }) => e.type)).toEqual(['ClaimAsserted']);
    expect(found[0].after.claims.map((c: { claimant: string }) => c.claimant).sort()).toEqual(['Airwars', 'CJTF-OIR']);
  });

  it('a new claim dated after the watched window and corrected into it at once is one notice, whichever of the two the engine saw first', async () => {
    const { figureId } = await figureWithClaim('2019-02-15');
    const watchId = await watch({ kind: 'figure', figureId, asOf: '2019-03-28' });
    // Not settled in between: the engine may see the claim with the read models already holding its correction, or each alone.
    const claim = claimBody({ claimant: 'Airwars', assertedOn: '2019-06-01', period: undefined });
    await http().post(`/figures/${figureId}/claims`).send(claim).expect(201);
    await http().post(`/figures/${figureId}/claims/${claim.id}/corrections`).send(correctionBody({ assertedOn: '2019-03-01' }, 'the report is from March')).expect(200);
    const found = await notices(watchId);
    expect(found).toHaveLength(1);
    expect(found[0].events.map((e: { type: string }) => e.type)).toContain('ClaimCorrected');
    expect(found[0].after.claims.map((c: { claimant: string }) => c.claimant).sort()).toEqual(['Airwars', 'CJTF-OIR']);
  });

  it('a correction that moves a claim out of the watched window is a notice too (its old date counts)', async () => {
    const { figureId, claimId } = await figureWithClaim('2019-02-15');
    const watchId = await watch({ kind: 'figure', figureId, asOf: '2019-03-28' });
    await http().post(`/figures/${figureId}/claims/${claimId}/corrections`).send(correctionBody({ assertedOn: '2019-05-02' }, 'the report is from May')).expect(200);
    const [notice] = await notices(watchId);
    expect(notice.before.claims).toHaveLength(1);
    expect(notice.after.claims).toEqual([]);
  });

  it('outlives a rebuild of the read models: the rebuilt ones give the same answer, and the next change is one notice from it', async () => {
    const { figureId, claimId } = await figureWithClaim('2019-02-15');
    const { body: created } = await http().post('/watches').send({ kind: 'figure', figureId, asOf: '2019-03-28' }).expect(201);
    await app.get(ReadModels).rebuild().done;
    await http().post('/facts').send(factBody()).expect(201);
    expect(await notices(created.watch.id)).toEqual([]);
    await http().post(`/figures/${figureId}/claims/${claimId}/corrections`).send(correctionBody({ value: { kind: 'exact', value: 7 } })).expect(200);
    const [notice, ...more] = await notices(created.watch.id);
    expect(more).toEqual([]);
    expect(notice.before).toEqual(created.answer);
  });

  it('a commit that fails is evaluated again from the last committed position: one notice, not none or two', async () => {
    const { figureId, claimId } = await figureWithClaim('2019-02-15');
    const watchId = await watch({ kind: 'figure', figureId, asOf: '2019-03-28' });
    const file = app.get(WatchStore);
    const commit = file.commit;
    let failures = 1;
    (file as { commit: WatchStore['commit'] }).commit = (evaluation) => {
      if (failures-- > 0) throw new Error('disk I/O error (injected)');
      return commit(evaluation);
    };
    try {
      await http().post(`/figures/${figureId}/claims/${claimId}/corrections`).send(correctionBody({ value: { kind: 'exact', value: 9 } })).expect(200);
      const found = await notices(watchId);
      expect(failures).toBeLessThan(0);
      expect(found).toHaveLength(1);
      expect(found[0].after.claims[0].value.value).toBe(9);
    } finally {
      (file as { commit: WatchStore['commit'] }).commit = commit;
    }
  });

  it('an unrelated write is no notice', async () => {
    const { figureId } = await figureWithClaim('2019-02-15');
    const watchId = await watch({ kind: 'figure', figureId, asOf: '2019-03-28' });
    const other = await figureWithClaim('2019-02-15');
    await http().post(`/figures/${other.figureId}/claims`).send(claimBody({ claimant: 'Airwars', assertedOn: '2018-01-01', period: undefined })).expect(201);
    await http().post('/facts').send(factBody()).expect(201);
    expect(await notices(watchId)).toEqual([]);
  });

  it('a timeline watch of a tag hears of a fact backdated into it, not of another tag', async () => {
    const tag = uniqueId('tag');
    await http().post('/facts').send(factBody({ tags: [tag], validTime: { at: '2017-05' } })).expect(201);
    const watchId = await watch({ kind: 'timeline', tag, asOf: '2019-03-28' });
    await http().post('/facts').send(factBody({ tags: [uniqueId('other')], validTime: { at: '2016' } })).expect(201);
    await http().post('/facts').send(factBody({ tags: [tag], validTime: { at: '2020' } })).expect(201);
    expect(await notices(watchId)).toEqual([]);
    const fact = factBody({ tags: [tag], validTime: { at: '2016-03-30' } });
    await http().post('/facts').send(fact).expect(201);
    const [notice, ...more] = await notices(watchId);
    expect(more).toEqual([]);
    expect(notice.after.items.map((f: { id: string }) => f.id)).toContain(fact.id);
    // Dropping the tag takes it out again: the old labels reach the watch.
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ tags: [uniqueId('moved')] }, 'wrong tag')).expect(200);
    expect(await notices(watchId)).toHaveLength(2);
  });

  it('a fact watch hears of its retraction', async () => {
    const fact = factBody({ validTime: { at: '2018-10' } });
    await http().post('/facts').send(fact).expect(201);
    const watchId = await watch({ kind: 'fact', factId: fact.id, asOf: '2019-03-28' });
    await http().post(`/facts/${fact.id}/retraction`).send({ reason: 'a duplicate of another record' }).expect(200);
    const [notice] = await notices(watchId);
    expect(notice.changes).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/status', before: 'recorded', after: 'retracted' })]));
    expect(notice.reasons).toEqual(['a duplicate of another record']);
  });

  it('lists, reads and deletes watches; a deleted watch says nothing more', async () => {
    const { figureId, claimId } = await figureWithClaim('2019-02-15');
    const watchId = await watch({ kind: 'figure', figureId, asOf: '2019-03-28', title: 'the toll we published' });
    const { body: list } = await http().get('/watches').expect(200);
    expect(list.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: watchId, title: 'the toll we published', path: `/figures/${figureId}?asOf=2019-03-28` })]));
    await http().delete(`/watches/${watchId}`).expect(204);
    await http().get(`/watches/${watchId}`).expect(404);
    await http().post(`/figures/${figureId}/claims/${claimId}/corrections`).send(correctionBody({ value: { kind: 'exact', value: 5 } })).expect(200);
    await watchesSettled(app);
    expect((await http().get('/notices?limit=500').expect(200)).body.items.filter((n: { watchId: string }) => n.watchId === watchId)).toEqual([]);
  });

  it('a retry with the same Idempotency-Key answers the same watch; the key with another question is refused', async () => {
    const { figureId } = await figureWithClaim('2019-02-15');
    const body = { kind: 'figure', figureId, asOf: '2019-03-28', webhookUrl: 'https://desk.example.org/hook' };
    const first = (await http().post('/watches').set('idempotency-key', 'watch-retry-1').send(body).expect(201)).body;
    const again = (await http().post('/watches').set('idempotency-key', 'watch-retry-1').send(body).expect(201)).body;
    expect(again.watch.id).toBe(first.watch.id);
    expect(again.webhook.secret).toBe(first.webhook.secret);
    const listed = (await http().get('/watches').expect(200)).body.items.filter((w: { question: { figureId?: string } }) => w.question.figureId === figureId);
    expect(listed).toHaveLength(1);
    const refused = await http().post('/watches').set('idempotency-key', 'watch-retry-1').send({ ...body, asOf: '2019-03-29' }).expect(422);
    expect(refused.body.code).toBe('idempotency-key-reused');
  });

  it('refuses bad questions with the field and the reason, and unknown records with 404', async () => {
    const problem = async (body: Record<string, unknown>, status = 400) => (await http().post('/watches').send(body).expect(status)).body;
    expect((await problem({ kind: 'figure' })).errors).toEqual([expect.objectContaining({ field: 'figureId' })]);
    expect((await problem({ kind: 'poll' })).errors).toEqual([expect.objectContaining({ field: 'kind' })]);
    expect((await problem({ kind: 'figure', figureId: 'x', asOf: '2019-02-30' })).errors).toEqual([expect.objectContaining({ field: 'asOf' })]);
    expect((await problem({ kind: 'figure', figureId: 'x', tag: 'a' })).errors).toEqual([expect.objectContaining({ field: 'tag', reason: 'does not apply to a figure watch' })]);
    expect((await problem({ kind: 'timeline', webhookUrl: 'ftp://example.org/x' })).errors).toEqual([expect.objectContaining({ field: 'webhookUrl' })]);
    expect((await problem({ kind: 'timeline', knownAt: '2026-01-01T00:00:00Z' })).errors).toEqual([expect.objectContaining({ field: 'knownAt' })]);
    expect((await problem({ kind: 'figure', figureId: 'no-such-figure' }, 404)).code).toBe('not-found');
    await http().get('/watches/nope/notices?after=-1').expect(400);
  });
});

describe('watches and access control', () => {
  let app: NestFastifyApplication;
  const keys = givenKeys({ 'desk-1': 'editor', 'desk-2': 'editor', reader: 'reader', boss: 'admin' });
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp({ auth: { keysFile: keys.file } });
  });
  afterAll(async () => {
    await app.close();
  });

  it('editors create and delete their own, admins any; readers list without webhook URLs', async () => {
    const figure = figureBody();
    await http().post('/figures').set('authorization', keys.bearer('desk-1')).send(figure).expect(201);
    const body = { kind: 'figure', figureId: figure.id, webhookUrl: 'https://desk.example.org/hook' };
    await http().post('/watches').set('authorization', keys.bearer('reader')).send(body).expect(403);
    const { body: created } = await http().post('/watches').set('authorization', keys.bearer('desk-1')).send(body).expect(201);
    expect(created.webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(created.watch.owner).toBe('desk-1');
    const id = created.watch.id;
    const listed = (await http().get('/watches').set('authorization', keys.bearer('reader')).expect(200)).body.items.find((w: { id: string }) => w.id === id);
    expect(listed.webhook.url).toBeUndefined();
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    const own = (await http().get(`/watches/${id}`).set('authorization', keys.bearer('desk-1')).expect(200)).body;
    expect(own.watch.webhook.url).toBe('https://desk.example.org/hook');
    expect((await http().delete(`/watches/${id}`).set('authorization', keys.bearer('desk-2')).expect(403)).body.code).toBe('watch.forbidden');
    await http().delete(`/watches/${id}`).set('authorization', keys.bearer('boss')).expect(204);
    await http().delete(`/watches/${id}`).set('authorization', keys.bearer('desk-1')).expect(404);
  });
});
