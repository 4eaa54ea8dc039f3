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
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { LEASE_TAKEN, WATCH_LEASE_STREAM } from '../../src/watches/watch-lease';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres, startReplicatedPostgres } from '../support/postgres';
import { startService, type ServiceProcess } from '../support/service-process';
import { Receiver } from '../support/watches';

/**
 * Three replicas over one PostgreSQL log, twenty writers spread over them, and the database killed
 * with kill -9 under that load: started again in place, or replaced by its synchronous standby,
 * promoted, which the replicas find through their multi-host connection string
 * (target_session_attrs=read-write). Every write a replica acknowledged is in the log; the replicas
 * follow the log again by themselves (their projections and live fan-out resubscribe from their
 * checkpoints) and give byte-identical answers at the same position; the checkpoints signed after the
 * crash extend the one kept before it.
 */

const describeWithServer = postgresBinaries() ? describe : describe.skip;
const REPLICAS = 3;
const WRITERS = 20;
/** Acknowledged writes before the crash, and again after the restart, before the writers stop. */
const WRITES_PER_PHASE = 150;

async function until<T>(attempt: () => Promise<T | undefined>, deadlineMs = 60_000): Promise<T> {
  const started = performance.now();
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (performance.now() - started > deadlineMs) throw new Error(`not reached in ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Watches with webhooks, each of a timeline of its own tag that the writers' facts change. */
const WATCHES = 5;
const WATCH_CONFIG = { ...loadConfig().watches!, webhookAllowPrivate: true, webhookRetryBaseMs: 50, webhookRetryMaxMs: 500, webhookMaxAttempts: 1000, leaseTtlMs: 5000, leaseRenewMs: 500 };
let written = 0;

/** A fact of watch n's tag, dated a day before the one written before it: it comes first on its timeline, so the watched first page changes. */
function watchedFact(n: number): Record<string, unknown> {
  const day = new Date(Date.UTC(2013, 11, 31) - written++ * 86_400_000).toISOString().slice(0, 10);
  return factBody({ tags: [`failover-${n % WATCHES}`], validTime: { at: day } }) as unknown as Record<string, unknown>;
}

/** One replica's answer, whichever way it is reached (in process, or over its port). */
type Call = (replica: number, method: 'GET' | 'POST' | 'DELETE', path: string, options?: { body?: unknown; minPosition?: string }) => Promise<{ status: number; body: request.Response['body']; text: string; position?: string }>;

async function createWatches(call: Call, receiver: Receiver): Promise<{ id: string; answerHash: string }[]> {
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

interface WatchCheck {
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
async function checkWatches(call: Call, replicas: readonly number[], watches: readonly { id: string; answerHash: string }[], receiver: Receiver, head: string): Promise<WatchCheck> {
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

const engines: Record<string, () => Promise<Engine>> = {
  'the database restarted in place': async () => {
    const cluster = await startPostgres();
    return { createDatabase: (name) => cluster.createDatabase(name), crash: () => cluster.crash(), recover: () => cluster.restart(), stop: () => cluster.stop() };
  },
  'its synchronous standby promoted': async () => {
    const pair = await startReplicatedPostgres();
    return { createDatabase: (name) => pair.createDatabase(name), crash: () => pair.crashPrimary(), recover: async () => pair.promoteStandby(), stop: () => pair.stop() };
  },
};

describeWithServer.each(Object.keys(engines))(
  postgresBinaries() ? 'replicas through a database kill -9, then %s' : `replicas through a database kill -9, then %s (skipped: ${NO_POSTGRES_REASON})`,
  (scenario) => {
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

/**
 * The replica that holds the watch lease killed with kill -9 while twenty writers write through all
 * three: another takes the lease over once it runs out, goes on from what the dead one recorded in
 * the log, and no acknowledged write, no notice and no delivery is lost. Real processes (a kill -9
 * of an in-process app is no kill): the service as `npm start` runs it, over one PostgreSQL.
 */
describeWithServer(
  postgresBinaries() ? 'replicas through a kill -9 of the replica holding the watch lease' : `replicas through a kill -9 of the replica holding the watch lease (skipped: ${NO_POSTGRES_REASON})`,
  () => {
    let cluster: Awaited<ReturnType<typeof startPostgres>>;
    let url: string;
    let receiver: Receiver;
    const services: ServiceProcess[] = [];
    const dirs: string[] = [];
    const call: Call = async (i, method, path, options = {}) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.minPosition) headers['annals-min-position'] = options.minPosition;
      const response = await fetch(`${services[i].base}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      let body: request.Response['body'];
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.status, body, text, position: response.headers.get('annals-position') ?? undefined };
    };

    beforeAll(async () => {
      cluster = await startPostgres();
      url = await cluster.createDatabase('replicakill');
      const secrets = mkdtempSync(join(tmpdir(), 'annals-replicakill-secrets-'));
      dirs.push(secrets);
      writeFileSync(join(secrets, 'signing-key'), `${formatSignerKey(signerFromSeed('annals.test/replicakill', randomBytes(32)))}\n`, { mode: 0o600 });
      writeFileSync(join(secrets, 'session-secret'), `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
      receiver = await new Receiver().start();
      const env = {
        ANNALS_STORE: 'postgres',
        ANNALS_POSTGRES_URL: url,
        ANNALS_SIGNING_KEY_FILE: join(secrets, 'signing-key'),
        ANNALS_SESSION_SECRET_FILE: join(secrets, 'session-secret'),
        ANNALS_LOG_ORIGIN: 'annals.test/replicakill',
        ANNALS_MIN_POSITION_WAIT_MS: '5000',
        ANNALS_WEBHOOK_ALLOW_PRIVATE: 'true',
        ANNALS_WEBHOOK_RETRY_BASE_MS: '50',
        ANNALS_WEBHOOK_RETRY_MAX_MS: '500',
        ANNALS_WEBHOOK_MAX_ATTEMPTS: '1000',
        ANNALS_WATCH_LEASE_TTL_MS: '3000',
        ANNALS_WATCH_LEASE_RENEW_MS: '500',
        // The lease's comings and goings are logged at info, with the holder's id: how the test finds the holder's process.
        LOG_LEVEL: 'info',
      };
      for (let i = 0; i < REPLICAS; i++) {
        const dataDir = mkdtempSync(join(tmpdir(), `annals-replicakill-${i}-`));
        dirs.push(dataDir);
        services.push(await startService(dataDir, env));
      }
    }, 240_000);

    afterAll(async () => {
      for (const service of services) {
        if (service.child.exitCode === null && service.child.signalCode === null) {
          service.child.kill('SIGTERM');
          await service.exited;
        }
      }
      await receiver?.stop();
      await cluster?.stop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    it('another replica takes the watch lease over and nothing is lost: no acknowledged write, no notice, no delivery', async () => {
      const log = new PostgresEventStore({ connectionString: url });
      try {
        /** The replica the lease stream last named as its taker (its process logged that id). */
        const lastTaker = async (): Promise<number | undefined> => {
          const events = await log.readStream(WATCH_LEASE_STREAM, { direction: 'backwards', maxCount: 200 }).catch(() => []);
          const taken = events.find((e) => e.type === LEASE_TAKEN);
          if (!taken) return undefined;
          const found = services.findIndex((s) => s.output().includes(String(taken.data.holder)));
          return found < 0 ? undefined : found;
        };

        const watches = await createWatches(call, receiver);
        const live = [0, 1, 2];
        const acknowledged: { id: string; position: bigint }[] = [];
        let refused = 0;
        let writing = true;
        const writers = Array.from({ length: WRITERS }, async (_, w) => {
          for (let n = 0; writing; n++) {
            const fact = watchedFact(w + n);
            const replica = live[(w + n) % live.length];
            const answer = await call(replica, 'POST', '/facts', { body: fact }).catch(() => undefined);
            if (answer?.status === 201) acknowledged.push({ id: fact.id as string, position: BigInt(answer.position ?? '-1') });
            else {
              refused++;
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
        });

        await until(async () => (acknowledged.length >= WRITES_PER_PHASE ? true : undefined), 120_000);
        const holder = await until(lastTaker);
        const killedAt = performance.now();
        services[holder].child.kill('SIGKILL');
        live.splice(live.indexOf(holder), 1);
        await services[holder].exited;
        const atKill = acknowledged.length;
        const successor = await until(async () => {
          const taker = await lastTaker();
          return taker !== undefined && taker !== holder ? taker : undefined;
        });
        const tookOverSeconds = (performance.now() - killedAt) / 1000;
        await until(async () => (acknowledged.length >= atKill + WRITES_PER_PHASE ? true : undefined), 120_000);
        writing = false;
        await Promise.all(writers);

        const head = acknowledged.reduce((max, w) => (w.position > max ? w.position : max), 0n).toString();
        let lost = 0;
        for (const [n, write] of acknowledged.entries()) if ((await call(live[n % live.length], 'GET', `/facts/${write.id}`, { minPosition: head })).status !== 200) lost++;
        expect(lost).toBe(0);
        const webhooks = await checkWatches(call, live, watches, receiver, head);
        // Only a delivery the killed replica had sent but not yet recorded can be sent again (with the same webhook-id).
        expect(webhooks.repeats).toBeLessThanOrEqual(50);
        const delivery =
          webhooks.repeats === 0
            ? `webhooks ${webhooks.delivered} delivered once`
            : `webhooks ${webhooks.delivered} delivered, ${webhooks.repeats} of them sent again after the kill with the same webhook-id`;
        process.stdout.write(
          `replicas: ${REPLICAS}, writers ${WRITERS}, kill -9 of the replica holding the watch lease under load, taken over by replica ${successor} in ${tookOverSeconds.toFixed(1)} s; ` +
            `writes acknowledged ${acknowledged.length} (refused or failed: ${refused}), lost ${lost}, notices ${webhooks.notices} recorded once, ${delivery}\n`,
        );
      } finally {
        await log.close();
      }
    }, 300_000);
  },
);
