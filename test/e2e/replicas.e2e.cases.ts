import { createKey, revokeKey } from '../../src/auth/key-commands';
import { factBody } from '../support/factories';
import { NO_POSTGRES_REASON, postgresBinaries } from '../support/postgres';
import { replicaSet, type ReplicaSet } from '../support/replica-set';
import { until } from '../support/until';

/**
 * Two Annals replicas over one PostgreSQL log, each with its own data dir and read models, given the
 * same signing key and session secret by configuration (files, as mounted secrets are): a write on one
 * is read on the other at its position; both sign the same checkpoint for the same tree; a key created
 * beside them writes through either at once, and its revocation is refused by both; a login on one
 * holds on the other, and its logout ends it on both.
 */

const describeWithServer = postgresBinaries() ? describe : describe.skip;

describeWithServer(postgresBinaries() ? 'replicas over one PostgreSQL log' : `replicas over one PostgreSQL log (skipped: ${NO_POSTGRES_REASON})`, () => {
  let set: ReplicaSet;
  const http = (i: number) => set.http(i);

  beforeAll(async () => {
    set = await replicaSet({ database: 'replicas', logOrigin: 'annals.test/replicas', sessionSecret: true });
  }, 120_000);

  afterAll(async () => {
    await set?.close();
  });

  it('reads a write made through one replica through the other, at the position it answered', async () => {
    for (const [writer, reader] of [
      [0, 1],
      [1, 0],
    ]) {
      const fact = factBody();
      const written = await http(writer).post('/facts').send(fact).expect(201);
      const position = written.headers['annals-position'];
      expect(position).toBe(written.body.position);
      const read = await http(reader).get(`/facts/${fact.id}`).set('Annals-Min-Position', position).expect(200);
      expect(read.body.title).toBe(fact.title);
    }
  });

  it('signs the same checkpoint on both replicas for the same tree', async () => {
    const position = (await http(0).post('/facts').send(factBody()).expect(201)).headers['annals-position'];
    await Promise.all([0, 1].map((i) => http(i).get('/timeline').set('Annals-Min-Position', position).expect(200)));
    const [one, two] = await Promise.all([0, 1].map(async (i) => (await http(i).get('/integrity/checkpoint.json').expect(200)).body));
    expect(one.lastPosition).toBe(position);
    expect(two.treeSize).toBe(one.treeSize);
    expect(two.note).toBe(one.note);
    expect(two.verifierKey).toBe(one.verifierKey);
  });

  it('lets a key created beside the replicas write through either at once, and refuses it on both once revoked', async () => {
    const { secret } = await createKey(set.log, { name: 'desk-replicas', role: 'editor' }, 'test-admin');
    // At once: no wait for either replica's subscription; an unknown key is looked up in the log before it is refused.
    for (const i of [1, 0]) await http(i).post('/facts').set('Authorization', `Bearer ${secret}`).send(factBody()).expect(201);
    await revokeKey(set.log, 'desk-replicas', 'test-admin');
    const refusedAfter = await Promise.all(
      [0, 1].map((i) => until(async () => (await http(i).post('/facts').set('Authorization', `Bearer ${secret}`).send(factBody())).status === 401)),
    );
    // Measured, not asserted (the issue asks for within a second: NOTIFY wakes each replica's key feed).
    process.stdout.write(`revocation refused by replica 0 after ${refusedAfter[0]} ms, replica 1 after ${refusedAfter[1]} ms\n`);
    // Keys exist now: anonymous writes are closed on both.
    await until(async () => (await http(1).post('/facts').send(factBody())).status === 401);
  });

  it("ends a revoked key's open event streams on every replica", async () => {
    const { secret } = await createKey(set.log, { name: 'stream-replicas', role: 'reader' }, 'test-admin');
    const streams = await Promise.all(
      [0, 1].map(async (i) => {
        await set.replicas[i].listen(0, '127.0.0.1');
        const response = await fetch(`${await set.replicas[i].getUrl()}/events?from=0`, { headers: { authorization: `Bearer ${secret}`, accept: 'text/event-stream' } });
        expect(response.status).toBe(200);
        return response.body!;
      }),
    );
    const ends = streams.map(async (body) => {
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of body) text += decoder.decode(chunk as Uint8Array, { stream: true });
      return text;
    });
    await revokeKey(set.log, 'stream-replicas', 'test-admin');
    for (const text of await Promise.all(ends)) expect(text).toContain('event: unauthorized');
  });

  it('keeps a login made on one replica on the other, and ends it on both at logout', async () => {
    const { secret } = await createKey(set.log, { name: 'page-replicas', role: 'editor' }, 'test-admin');
    const login = await http(1).post('/auth/session').send({ key: secret }).expect(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const who = await http(0).get('/auth/session').set('Cookie', cookie).expect(200);
    expect(who.body).toMatchObject({ authenticated: true, name: 'page-replicas' });
    await http(0).post('/facts').set('Cookie', cookie).set('x-annals-csrf', '1').send(factBody()).expect(201);
    await http(0).delete('/auth/session').set('Cookie', cookie).set('x-annals-csrf', '1').expect(204);
    const endedAfter = await until(async () => (await http(1).get('/auth/session').set('Cookie', cookie)).body.authenticated === false);
    process.stdout.write(`logout on replica 0 ended the session on replica 1 after ${endedAfter} ms\n`);
    await http(1).post('/facts').set('Cookie', cookie).set('x-annals-csrf', '1').send(factBody()).expect(401);
  });
});
