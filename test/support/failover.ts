import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { checkConsistency } from '../../src/integrity/verifier';
import { formatSignerKey, signerFromSeed } from '../../src/integrity/signed-note';
import { loadConfig } from '../../src/config';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { LEASE_TAKEN, WATCH_LEASE_STREAM } from '../../src/watches/watch-lease';
import { createTestApp } from './app';
import { factBody } from './factories';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres, startReplicatedPostgres } from './postgres';
import { Receiver } from './watches';

/**
 * What the replica failover suites share (test/e2e/replicas-failover*.e2e.spec.ts, replicas-lease-kill):
 * the load (replicas, writers, writes a phase), the watched facts the writers write, and the check of
 * every watch's notices and webhooks once the writers stopped.
 */

export const REPLICAS = 3;
export const WRITERS = 20;
/** Acknowledged writes before the crash, and again after the restart, before the writers stop. */
export const WRITES_PER_PHASE = 150;

export async function until<T>(attempt: () => Promise<T | undefined>, deadlineMs = 60_000): Promise<T> {
  const started = performance.now();
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (performance.now() - started > deadlineMs) throw new Error(`not reached in ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Watches with webhooks, each of a timeline of its own tag that the writers' facts change. */
export const WATCHES = 5;
const WATCH_CONFIG = { ...loadConfig().watches!, webhookAllowPrivate: true, webhookRetryBaseMs: 50, webhookRetryMaxMs: 500, webhookMaxAttempts: 1000, leaseTtlMs: 5000, leaseRenewMs: 500 };
let written = 0;

/** A fact of watch n's tag, dated a day before the one written before it: it comes first on its timeline, so the watched first page changes. */
export function watchedFact(n: number): Record<string, unknown> {
  const day = new Date(Date.UTC(2013, 11, 31) - written++ * 86_400_000).toISOString().slice(0, 10);
  return factBody({ tags: [`failover-${n % WATCHES}`], validTime: { at: day } }) as unknown as Record<string, unknown>;
}

/** One replica's answer, whichever way it is reached (in process, or over its port). */
export type Call = (replica: number, method: 'GET' | 'POST' | 'DELETE', path: string, options?: { body?: unknown; minPosition?: string }) => Promise<{ status: number; body: request.Response['body']; text: string; position?: string }>;

export async function createWatches(call: Call, receiver: Receiver): Promise<{ id: string; answerHash: string }[]> {
  const watches: { id: string; answerHash: string }[] = [];
  for (let k = 0; k < WATCHES; k++) {
    const created = await call(0, 'POST', '/watches', { body: { kind: 'timeline', tag: `failover-${k}`, limit: 3, webhookUrl: receiver.url } });
    if (created.status !== 201) throw new Error(`POST /watches answered ${created.status}: ${created.text}`);
    watches.push({ id: created.body.watch.id, answerHash: created.body.watch.answerHash });
  }
  return watches;
}

/** Resolves once the log's head has stayed where it is for a while (no lease renewed any more). */
async function logQuiet(head: () => Promise<string>): Promise<string> {
  let last = await head();
  return until(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const now = await head();
    if (now === last) return now;
    last = now;
    return undefined;
  });
}

export interface WatchCheck {
  notices: number;
  delivered: number;
  /** Receipts of a webhook-id already received (a delivery in flight when its sender died, sent again). */
  repeats: number;
}

/**
 * On every replica listed: each watch's notices form one unbroken chain from the answer it was
 * created with to the answer the timeline gives now (none lost, none recorded twice), alike on every
 * replica; every notice reached the receiver, counted by webhook-id.
 */
export async function checkWatches(call: Call, replicas: readonly number[], watches: readonly { id: string; answerHash: string }[], receiver: Receiver, head: string): Promise<WatchCheck> {
  const expected = new Set<string>();
  for (const watch of watches) {
    const lists: string[] = [];
    // What the question gives now (no write runs any more): the answer of a watch of it made now.
    const question = (await call(replicas[0], 'GET', `/watches/${watch.id}`)).body.watch.question as unknown;
    const probe = (await call(replicas[0], 'POST', '/watches', { body: question })).body.watch as { id: string; answerHash: string };
    const now = probe.answerHash;
    await call(replicas[0], 'DELETE', `/watches/${probe.id}`);
    for (const replica of replicas) {
      // Evaluated up to the end: the watch's stored answer is that one.
      await until(async () => ((await call(replica, 'GET', `/watches/${watch.id}`, { minPosition: head })).body.watch?.answerHash === now ? true : undefined), 120_000);
      const notices: { id: string; beforeHash: string; afterHash: string; sequence: string }[] = [];
      for (let after = '0'; ; ) {
        const page = (await call(replica, 'GET', `/watches/${watch.id}/notices?after=${after}&limit=500`)).body.items as typeof notices;
        notices.push(...page);
        if (page.length < 500) break;
        after = page[page.length - 1].sequence;
      }
      let hash = watch.answerHash;
      for (const notice of notices) {
        expect(notice.beforeHash).toBe(hash);
        hash = notice.afterHash;
      }
      expect(hash).toBe(now);
      lists.push(JSON.stringify(notices.map((n) => [n.id, n.beforeHash, n.afterHash])));
      for (const notice of notices) expected.add(notice.id);
    }
    expect(new Set(lists).size).toBe(1);
  }
  const received = await until(async () => {
    const ids = new Set(receiver.received.map((r) => String(r.headers['webhook-id'])));
    return [...expected].every((id) => ids.has(id)) ? ids : undefined;
  }, 120_000);
  expect([...received].filter((id) => !expected.has(id))).toEqual([]);
  return { notices: expected.size, delivered: received.size, repeats: receiver.received.length - received.size };
}

interface Engine {
  createDatabase(name: string): Promise<string>;
  /** kill -9 of the database serving writes. */
  crash(): void;
  /** What brings writes back: a restart in place, or the standby promoted. */
  recover(): Promise<void>;
  stop(): Promise<void>;
}

/** How the database comes back after its kill -9, by the scenario's name. */
export const engines = {
  'the database restarted in place': async () => {
    const cluster = await startPostgres();
    return { createDatabase: (name) => cluster.createDatabase(name), crash: () => cluster.crash(), recover: () => cluster.restart(), stop: () => cluster.stop() };
  },
  'its synchronous standby promoted': async () => {
    const pair = await startReplicatedPostgres();
    return { createDatabase: (name) => pair.createDatabase(name), crash: () => pair.crashPrimary(), recover: async () => pair.promoteStandby(), stop: () => pair.stop() };
  },
} satisfies Record<string, () => Promise<Engine>>;

export type Scenario = keyof typeof engines;

/**
 * Three replicas over one PostgreSQL log, twenty writers spread over them, and the database killed
 * with kill -9 under that load, then brought back as the scenario says: started again in place, or
 * replaced by its synchronous standby, promoted, which the replicas find through their multi-host
 * connection string (target_session_attrs=read-write). Every write a replica acknowledged is in the
 * log; the replicas follow the log again by themselves (their projections and live fan-out resubscribe
 * from their checkpoints) and give byte-identical answers at the same position; the checkpoints signed
 * after the crash extend the one kept before it. One scenario a suite file, so that two workers share them.
 */
export function describeDatabaseKill(scenario: Scenario): void {
  (postgresBinaries() ? describe : describe.skip)(
    postgresBinaries() ? `replicas through a database kill -9, then ${scenario}` : `replicas through a database kill -9, then ${scenario} (skipped: ${NO_POSTGRES_REASON})`,
    () => {
      let cluster: Engine;
      let secrets: string;
      let receiver: Receiver;
      const replicas: NestFastifyApplication[] = [];
      const dataDirs: string[] = [];
      const http = (i: number) => request(replicas[i % REPLICAS].getHttpServer());
      const call: Call = async (i, method, path, options = {}) => {
        let req = method === 'GET' ? http(i).get(path) : method === 'DELETE' ? http(i).delete(path) : http(i).post(path).send(options.body as object);
        if (options.minPosition) req = req.set('Annals-Min-Position', options.minPosition);
        const answer = await req;
        return { status: answer.status, body: answer.body, text: answer.text, position: answer.headers['annals-position'] };
      };

      beforeAll(async () => {
        cluster = await engines[scenario]();
        const url = await cluster.createDatabase('failover');
        secrets = mkdtempSync(join(tmpdir(), 'annals-failover-secrets-'));
        const signingKeyFile = join(secrets, 'signing-key');
        writeFileSync(signingKeyFile, `${formatSignerKey(signerFromSeed('annals.test/failover', randomBytes(32)))}\n`, { mode: 0o600 });
        // The session secret every replica is given also seals the webhook secrets in the log.
        const sessionSecret = randomBytes(32).toString('base64url');
        receiver = await new Receiver().start();
        for (let i = 0; i < REPLICAS; i++) {
          const dataDir = mkdtempSync(join(tmpdir(), `annals-failover-${i}-`));
          dataDirs.push(dataDir);
          replicas.push(
            await createTestApp({
              store: 'postgres',
              postgresUrl: url,
              dataDir,
              signingKeyFile,
              logOrigin: 'annals.test/failover',
              minPositionWaitMs: 5000,
              writeWaitMs: 2000,
              watches: WATCH_CONFIG,
              auth: { sessionSecret },
            }),
          );
        }
      }, 120_000);

      afterAll(async () => {
        for (const app of replicas) await app.close();
        await receiver?.stop();
        await cluster?.stop();
        for (const dir of [...dataDirs, secrets]) if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it('loses no acknowledged write, answers alike on every replica, keeps its checkpoints consistent and delivers each webhook once', async () => {
        const watches = await createWatches(call, receiver);
        const acknowledged: { id: string; position: bigint }[] = [];
        let refused = 0;
        /** The statuses of refused writes: the engine out of reach is 503 (with Retry-After), never a 500. */
        const refusals = new Set<number>();
        let writing = true;
        const writers = Array.from({ length: WRITERS }, async (_, w) => {
          for (let n = 0; writing; n++) {
            const fact = watchedFact(w + n);
            const answer = await http(w + n).post('/facts').send(fact).catch(() => undefined);
            if (answer?.status === 201) acknowledged.push({ id: fact.id as string, position: BigInt(answer.headers['annals-position']) });
            else {
              refused++;
              refusals.add(answer?.status ?? 0);
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
        });

        await until(async () => (acknowledged.length >= WRITES_PER_PHASE ? true : undefined));
        const kept = (await http(0).get('/integrity/checkpoint.json').expect(200)).body as { note: string; treeSize: number; verifierKey: string };
        cluster.crash();
        const atCrash = acknowledged.length;
        await new Promise((resolve) => setTimeout(resolve, 300));
        await cluster.recover();
        await until(async () => (acknowledged.length >= atCrash + WRITES_PER_PHASE ? true : undefined));
        writing = false;
        await Promise.all(writers);

        // Every replica reaches the last acknowledged position by itself (its projections followed the log again).
        const head = acknowledged.reduce((max, w) => (w.position > max ? w.position : max), 0n).toString();
        const answers = await Promise.all(
          replicas.map((_, i) =>
            until(async () => {
              const timeline = await http(i).get('/timeline').query({ limit: '500' }).set('Annals-Min-Position', head);
              return timeline.status === 200 ? timeline.text : undefined;
            }),
          ),
        );
        for (let i = 0; i < REPLICAS; i++) await http(i).get('/health').expect(200);

        // Each watch's notices are one chain on every replica, and each reached the receiver once.
        const webhooks = await checkWatches(call, [0, 1, 2], watches, receiver, head);
        const takings = (await replicas[0].get<EventStore>(EVENT_STORE).readStream(WATCH_LEASE_STREAM)).filter((e) => e.type === LEASE_TAKEN).length;
        // The holder kept its lease through the outage (records retried while it lasts; no webhook sent meanwhile): nothing sent twice.
        // Had the outage outlasted the lease, a delivery in flight when it began could be sent again by the next holder.
        expect(webhooks.repeats).toBeLessThanOrEqual(takings === 1 ? 0 : 50);
        // No watch left: the lease is released and the log stops growing, so every replica signs the same tree.
        for (const watch of watches) expect((await call(1, 'DELETE', `/watches/${watch.id}`)).status).toBe(204);
        const quiet = await logQuiet(() => http(0).get('/health').then((r) => String(r.body.info.eventStore.headPosition)));

        expect([...refusals].filter((status) => status !== 503)).toEqual([]);
        let lost = 0;
        for (const [n, write] of acknowledged.entries()) if ((await http(n).get(`/facts/${write.id}`).set('Annals-Min-Position', head)).status !== 200) lost++;
        expect(lost).toBe(0);

        // Byte-identical answers at the same position (no write runs now, so all three are at the log's head).
        expect(new Set(answers).size).toBe(1);
        const figures = await Promise.all(replicas.map(async (_, i) => (await http(i).get('/figures').set('Annals-Min-Position', head).expect(200)).text));
        expect(new Set(figures).size).toBe(1);
        const checkpoints = await Promise.all(
          replicas.map(async (_, i) => (await http(i).get('/integrity/checkpoint.json').set('Annals-Min-Position', quiet).expect(200)).body as { note: string; treeSize: number }),
        );
        expect(new Set(checkpoints.map((c) => c.note)).size).toBe(1);

        // The checkpoint signed after the crash extends the one kept before it, on every replica.
        for (let i = 0; i < REPLICAS; i++) {
          const proof = (await http(i).get('/integrity/consistency').query({ from: String(kept.treeSize), to: String(checkpoints[i].treeSize) }).expect(200)).body;
          const verdict = checkConsistency(proof, kept.note, checkpoints[i].note, kept.verifierKey);
          expect(verdict).toMatchObject({ ok: true });
        }
        process.stdout.write(
          `replicas: ${REPLICAS}, writers ${WRITERS}, writes acknowledged ${acknowledged.length} (refused or failed while the database was down: ${refused}), ` +
            `lost ${lost}, answers identical, checkpoints consistent (${kept.treeSize} → ${checkpoints[0].treeSize}), ` +
            `notices ${webhooks.notices} recorded once, webhooks ${webhooks.delivered} delivered once${webhooks.repeats > 0 ? ` (${webhooks.repeats} sent again with the same webhook-id)` : ''}, watch lease taken ${takings} time(s); kill -9, then ${scenario}\n`,
        );
      }, 180_000);
    },
  );
}
