import { join } from 'node:path';
import { subjectOfToken } from '../../src/event-store/subject-seal';
import { factBody } from '../support/factories';
import { filesHolding } from '../support/files-holding';
import { NO_POSTGRES_REASON, postgresBinaries } from '../support/postgres';
import { replicaSet, type ReplicaSet } from '../support/replica-set';
import { until } from '../support/until';

/**
 * Two Annals replicas over one PostgreSQL database share the subjects' keys (tables beside the log,
 * docs/erasure.md): a name recorded through one is read in clear through the other, the same answer
 * byte for byte; an erasure through one reaches the other, whose answers show the marker and whose
 * read models are purged of the name; two replicas naming a new person at once give it one subject.
 */

const describeWithServer = postgresBinaries() ? describe : describe.skip;
const NAME = 'Joseph Votel';

describeWithServer(postgresBinaries() ? 'erasure and the watch lease across replicas over one PostgreSQL database' : `erasure and the watch lease across replicas over one PostgreSQL database (skipped: ${NO_POSTGRES_REASON})`, () => {
  let set: ReplicaSet;
  const http = (i: number) => set.http(i);

  beforeAll(async () => {
    // The read models in a file of the data dir: what a replica down for a while still holds.
    set = await replicaSet({ database: 'replicaserasure', config: (dataDir) => ({ readModelPath: join(dataDir, 'read-models.db') }) });
  }, 120_000);

  afterAll(async () => {
    await set?.close();
  });

  it('reads a name recorded through one replica in clear through the other, then the erasure through the first on both', async () => {
    const fact = factBody({ entities: [{ type: 'person', name: NAME }] });
    const position = (await http(0).post('/facts').send(fact).expect(201)).headers['annals-position'];
    const answers = await Promise.all([0, 1].map(async (i) => (await http(i).get(`/facts/${fact.id}`).set('Annals-Min-Position', position).expect(200)).text));
    expect(answers[1]).toBe(answers[0]);
    expect(JSON.parse(answers[1]).entities).toEqual([{ type: 'person', name: NAME }]);
    const timeline = await http(1).get('/timeline').query({ entity: NAME }).expect(200);
    expect(timeline.text).toContain(fact.id);

    const erased = (await http(0).post('/admin/subjects/erase').send({ subject: NAME, reason: 'GDPR Art. 17 request 7' }).expect(200)).body;
    const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;
    const ms = await until(async () => (await http(1).get(`/facts/${fact.id}`).expect(200)).body.entities[0].name === marker);
    console.log(`replica B answered ${marker} ${ms} ms after replica A's erasure answered`);
    // The purge on B ran before the marker showed? Its read models hold the name nowhere once the purge is done.
    await until(async () => filesHolding(set.dataDirs[1], NAME).length === 0);
    for (const i of [0, 1]) {
      const history = await http(i).get(`/facts/${fact.id}/history`).expect(200);
      expect(history.text).not.toContain(NAME);
      expect((await http(i).get('/timeline').query({ entity: NAME }).expect(200)).text).not.toContain(fact.id);
    }
    expect(filesHolding(set.dataDirs[0], NAME)).toEqual([]);
    // Both replicas know the erasure, and the name can no longer be erased again through either.
    await http(1).post('/admin/subjects/erase').send({ subject: erased.subject, reason: 'again' }).expect(409);
  });

  it('purges on its next start a replica that was down while another erased a name its read models hold', async () => {
    const name = 'Amina Yusuf';
    const fact = factBody({ entities: [{ type: 'person', name }] });
    const position = (await http(0).post('/facts').send(fact).expect(201)).headers['annals-position'];
    expect((await http(1).get(`/facts/${fact.id}`).set('Annals-Min-Position', position).expect(200)).body.entities[0].name).toBe(name);
    await set.replicas[1].close();
    const erased = (await http(0).post('/admin/subjects/erase').send({ subject: name, reason: 'witness at risk' }).expect(200)).body;
    expect(filesHolding(set.dataDirs[1], name).length).toBeGreaterThan(0);
    await set.start(1);
    await until(async () => (await http(1).get(`/facts/${fact.id}`).expect(200)).body.entities[0].name === `[erased on ${erased.erasedAt.slice(0, 10)}]`);
    await until(async () => filesHolding(set.dataDirs[1], name).length === 0);
  });

  it('gives one subject to a person named through two replicas at once', async () => {
    const name = 'Kenneth McKenzie';
    const facts = [0, 1].map(() => factBody({ entities: [{ type: 'person', name }] }));
    await Promise.all([0, 1].map((i) => http(i).post('/facts').send(facts[i]).expect(201)));
    const subjects = new Set<string>();
    for (const fact of facts) {
      const [event] = await set.log.readStream(`fact-${fact.id}`);
      subjects.add(subjectOfToken((event.data as { entities: { name: string }[] }).entities[0].name));
    }
    expect(subjects.size).toBe(1);
    for (const i of [0, 1]) for (const fact of facts) expect((await http(i).get(`/facts/${fact.id}`).expect(200)).body.entities[0].name).toBe(name);
  });

  it('names the watch lease holder and since when on /health of both replicas, and counts it held on one in /metrics', async () => {
    // A watch gives the replicas work: one of them takes the lease.
    const fact = factBody();
    await http(0).post('/facts').send(fact).expect(201);
    await http(0).post('/watches').send({ kind: 'fact', factId: fact.id }).expect(201);
    type Lease = { shared: boolean; self: string; held: boolean; holder: string | null; since: string | null };
    const leases = async () => Promise.all([0, 1].map(async (i) => (await http(i).get('/health')).body.details.watchLease as Lease));
    await until(async () => {
      const [one, two] = await leases();
      return one.held !== two.held && one.holder !== null && one.holder === two.holder && one.since !== null && two.since !== null;
    });
    const seen = await leases();
    const holder = seen.findIndex((lease) => lease.held);
    expect(seen[holder].holder).toBe(seen[holder].self);
    expect(seen[1 - holder].holder).toBe(seen[holder].self);
    expect(seen.every((lease) => lease.shared)).toBe(true);
    expect(Number.isNaN(Date.parse(seen[holder].since!))).toBe(false);
    for (const i of [0, 1]) {
      const metrics = (await http(i).get('/metrics').expect(200)).text;
      expect(metrics).toMatch(new RegExp(`^annals_watch_lease_held ${i === holder ? 1 : 0}$`, 'm'));
    }
  });
});
