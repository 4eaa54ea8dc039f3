import { inflateRawSync } from 'node:zlib';
import { loadConfig } from '../../src/config';
import type { EventStore } from '../../src/event-store/event-store';
import { correctionBody, factBody } from '../support/factories';
import { NO_POSTGRES_REASON, postgresBinaries } from '../support/postgres';
import { replicaSet, type ReplicaSet } from '../support/replica-set';
import { filesHolding } from '../support/files-holding';
import { eventually } from '../support/watches';

const NAME = 'Joseph Votel';
const WITNESS = 'Amina Yusuf';
const describeWithServer = postgresBinaries() ? describe : describe.skip;

/** Every event of the log as stored, its deflated answers and notices inflated: what an export, a backup or a gRPC reader holds. */
async function logText(store: EventStore): Promise<string> {
  const inflate = (packed: unknown) => inflateRawSync(Buffer.from(String(packed), 'base64')).toString('utf8');
  const texts: string[] = [];
  for (const event of await store.readAll({})) {
    const data = event.data as { answer?: string; answers?: { text: string }[]; notices?: { content: string }[] };
    texts.push(JSON.stringify({ data: event.data, metadata: event.metadata }));
    if (event.streamId.startsWith('annals-watch')) {
      if (data.answer) texts.push(inflate(data.answer));
      for (const a of data.answers ?? []) texts.push(inflate(a.text));
      for (const n of data.notices ?? []) texts.push(inflate(n.content));
    }
  }
  return texts.join('\n');
}

/**
 * Two replicas over one PostgreSQL log, where watches are kept in the log by default: watched facts
 * naming persons give notices on both replicas, and the log holds the names nowhere in clear. The
 * replicas share the subjects' keys (tables in the same database, docs/erasure.md): a name recorded
 * through one shows in the notices on both, whichever holds the lease; after its erasure through either,
 * both show `[erased on D]` and no notice on either holds the name.
 */
describeWithServer(postgresBinaries() ? 'shared watches over PostgreSQL, and personal data' : `shared watches over PostgreSQL, and personal data (skipped: ${NO_POSTGRES_REASON})`, () => {
  let set: ReplicaSet;
  const http = (i: number) => set.http(i);

  beforeAll(async () => {
    set = await replicaSet({ database: 'sharedseal', sessionSecret: true, config: () => ({ watches: { ...loadConfig({}).watches!, leaseTtlMs: 600, leaseRenewMs: 100 } }) });
  }, 120_000);

  afterAll(async () => {
    await set?.close();
  });

  it('writes no name into the log, and shows the marker after the erasure', async () => {
    // A person recorded through each replica, so that whichever holds the lease opens one of them (the other's key is not its own).
    const names = [NAME, WITNESS];
    const facts = names.map((name) => factBody({ entities: [{ type: 'person', name }] }));
    for (const i of [0, 1]) await http(i).post('/facts').send(facts[i]).expect(201);
    const watches: string[] = [];
    for (const i of [0, 1]) watches.push((await http(i).post('/watches').send({ kind: 'fact', factId: facts[i].id }).expect(201)).body.watch.id);
    for (const i of [0, 1]) await http(i).post(`/facts/${facts[i].id}/corrections`).send(correctionBody({ title: `took command ${i}` })).expect(200);
    const notices = (replica: number, watch: number) =>
      eventually(async () => {
        const { body } = await http(replica).get(`/watches/${watches[watch]}/notices`).expect(200);
        return body.items.length > 0 ? JSON.stringify(body) : undefined;
      }, `the notice of watch ${watch} on replica ${replica}`);
    // Whichever replica holds the lease opens both names (the keys are shared), and both replicas show them.
    for (const replica of [0, 1]) for (const i of [0, 1]) expect(await notices(replica, i)).toContain(names[i]);
    const stored = await logText(set.log);
    expect(stored).toContain('took command 0');
    expect(stored).toContain('took command 1');
    for (const name of names) expect(stored).not.toContain(name);

    for (const i of [0, 1]) {
      const erased = (await http(i).post('/admin/subjects/erase').send({ subject: names[i], reason: 'request 9' }).expect(200)).body;
      const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;
      // The other replica purges its notices when it reads the erasure from the log.
      for (const replica of [0, 1]) {
        await eventually(async () => {
          const text = await notices(replica, i);
          return text.includes(marker) && !text.includes(names[i]) ? text : undefined;
        }, `the erasure of ${names[i]} in the notices of replica ${replica}`);
      }
    }
    for (const replica of [0, 1]) for (const watch of [0, 1]) for (const name of names) expect(await notices(replica, watch)).not.toContain(name);
    for (const name of names) expect(await logText(set.log)).not.toContain(name);
  });

  it('seals a marked watch title for a person first named there, and opens it on the other replica', async () => {
    const person = 'Layla Haddad';
    const created = (
      await http(0)
        .post('/watches')
        .send({ kind: 'timeline', tag: 'raqqa', title: `${person}'s question`, subjects: [{ subject: person, path: '/title', passage: person }] })
        .expect(201)
    ).body;
    expect(created.watch.title).toBe(`${person}'s question`);
    // The other replica applies the WatchCreated from the log, and opens the title with the shared key.
    const shown = await eventually(async () => {
      const res = await http(1).get(`/watches/${created.watch.id}`);
      return res.status === 200 ? (res.body.watch.title as string) : undefined;
    }, 'the watch on replica 1');
    expect(shown).toBe(`${person}'s question`);
    expect(await logText(set.log)).not.toContain(person);
  });

  it("seals a watch's question naming a person on one replica, asks it opened on the lease holder, and ends it on both after the erasure", async () => {
    const person = 'Rania Khalil';
    const marked = { subjects: [{ subject: person, path: '/title', passage: person }] };
    const fact = { ...factBody({ entities: [{ type: 'person', name: person }], title: `${person} testifies`, tags: ['hearing-14'] }), ...marked };
    await http(0).post('/facts').send(fact).expect(201);
    // Created through the other replica: it finds the person's subject in the shared key store.
    const byEntity = (await http(1).post('/watches').send({ kind: 'timeline', entity: person }).expect(201)).body.watch.id as string;
    const byText = (await http(0).post('/watches').send({ kind: 'timeline', text: person, subjects: [{ subject: person, path: '/text' }] }).expect(201)).body.watch.id as string;
    const other = (await http(0).post('/watches').send({ kind: 'timeline', tag: 'hearing-14' }).expect(201)).body.watch.id as string;
    for (const replica of [0, 1]) {
      const shown = await eventually(async () => {
        const res = await http(replica).get(`/watches/${byEntity}`);
        return res.status === 200 ? res.body.watch.question : undefined;
      }, `the entity watch on replica ${replica}`);
      expect(shown.entity).toBe(person);
    }
    await http(1).post('/facts').send({ ...factBody({ entities: [{ type: 'person', name: person }], title: `${person} testifies again`, tags: ['hearing-14'] }), ...marked }).expect(201);
    for (const replica of [0, 1]) {
      for (const id of [byEntity, byText, other]) {
        await eventually(async () => ((await http(replica).get(`/watches/${id}/notices`).expect(200)).body.items.length > 0 ? true : undefined), `a notice of ${id} on replica ${replica}`);
      }
    }
    expect(await logText(set.log)).toContain('annals:sealed:v1:');
    expect(await logText(set.log)).not.toContain(person);
    // Started again, a replica loads the keys of the questions its watches.db keeps sealed before it opens them.
    await set.replicas[1].close();
    await set.start(1);
    expect((await http(1).get(`/watches/${byText}`).expect(200)).body.watch.question.text).toBe(person);

    await http(0).post('/admin/subjects/erase').send({ subject: person, reason: 'request 14' }).expect(200);
    for (const replica of [0, 1]) {
      for (const id of [byEntity, byText]) await eventually(async () => ((await http(replica).get(`/watches/${id}`)).status === 404 ? true : undefined), `${id} ended on replica ${replica}`);
      await http(replica).get(`/watches/${other}`).expect(200);
      expect(JSON.stringify((await http(replica).get('/notices').expect(200)).body)).not.toMatch(/rania.khalil/i);
    }
    expect(await logText(set.log)).not.toContain(person);
    // Each replica's data directory: read models and watches.db purged, the ended watches' questions sealed under a key that is gone.
    for (const dir of set.dataDirs) expect(filesHolding(dir, person)).toEqual([]);
  });
});
