import { inflateRawSync } from 'node:zlib';
import { loadConfig } from '../../src/config';
import type { EventStore } from '../../src/event-store/event-store';
import { correctionBody, factBody } from '../support/factories';
import { NO_POSTGRES_REASON, postgresBinaries } from '../support/postgres';
import { replicaSet, type ReplicaSet } from '../support/replica-set';
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
});
