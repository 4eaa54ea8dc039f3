import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type request from 'supertest';
import { formatSignerKey, signerFromSeed } from '../../src/integrity/signed-note';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { LEASE_TAKEN, WATCH_LEASE_STREAM } from '../../src/watches/watch-lease';
import { checkWatches, createWatches, REPLICAS, until, watchedFact, WRITERS, WRITES_PER_PHASE, type Call } from '../support/failover';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres } from '../support/postgres';
import { startService, type ServiceProcess } from '../support/service-process';
import { Receiver } from '../support/watches';

const describeWithServer = postgresBinaries() ? describe : describe.skip;

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
