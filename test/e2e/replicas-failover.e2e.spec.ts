import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { checkConsistency } from '../../src/integrity/verifier';
import { formatSignerKey, signerFromSeed } from '../../src/integrity/signed-note';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres, startReplicatedPostgres } from '../support/postgres';

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
    const replicas: NestFastifyApplication[] = [];
    const dataDirs: string[] = [];
    const http = (i: number) => request(replicas[i % REPLICAS].getHttpServer());

    beforeAll(async () => {
      cluster = await engines[scenario]();
      const url = await cluster.createDatabase('failover');
      secrets = mkdtempSync(join(tmpdir(), 'annals-failover-secrets-'));
      const signingKeyFile = join(secrets, 'signing-key');
      writeFileSync(signingKeyFile, `${formatSignerKey(signerFromSeed('annals.test/failover', randomBytes(32)))}\n`, { mode: 0o600 });
      for (let i = 0; i < REPLICAS; i++) {
        const dataDir = mkdtempSync(join(tmpdir(), `annals-failover-${i}-`));
        dataDirs.push(dataDir);
        replicas.push(await createTestApp({ store: 'postgres', postgresUrl: url, dataDir, signingKeyFile, logOrigin: 'annals.test/failover', minPositionWaitMs: 5000, writeWaitMs: 2000 }));
      }
    }, 120_000);

    afterAll(async () => {
      for (const app of replicas) await app.close();
      await cluster?.stop();
      for (const dir of [...dataDirs, secrets]) if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('loses no acknowledged write, answers alike on every replica and keeps its checkpoints consistent', async () => {
      const acknowledged: { id: string; position: bigint }[] = [];
      let refused = 0;
      /** The statuses of refused writes: the engine out of reach is 503 (with Retry-After), never a 500. */
      const refusals = new Set<number>();
      let writing = true;
      const writers = Array.from({ length: WRITERS }, async (_, w) => {
        for (let n = 0; writing; n++) {
          const fact = factBody();
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

      expect([...refusals].filter((status) => status !== 503)).toEqual([]);
      let lost = 0;
      for (const [n, write] of acknowledged.entries()) if ((await http(n).get(`/facts/${write.id}`).set('Annals-Min-Position', head)).status !== 200) lost++;
      expect(lost).toBe(0);

      // Byte-identical answers at the same position (no write runs now, so all three are at the log's head).
      expect(new Set(answers).size).toBe(1);
      const figures = await Promise.all(replicas.map(async (_, i) => (await http(i).get('/figures').set('Annals-Min-Position', head).expect(200)).text));
      expect(new Set(figures).size).toBe(1);
      const checkpoints = await Promise.all(replicas.map(async (_, i) => (await http(i).get('/integrity/checkpoint.json').expect(200)).body as { note: string; treeSize: number }));
      expect(new Set(checkpoints.map((c) => c.note)).size).toBe(1);

      // The checkpoint signed after the crash extends the one kept before it, on every replica.
      for (let i = 0; i < REPLICAS; i++) {
        const proof = (await http(i).get('/integrity/consistency').query({ from: String(kept.treeSize), to: String(checkpoints[i].treeSize) }).expect(200)).body;
        const verdict = checkConsistency(proof, kept.note, checkpoints[i].note, kept.verifierKey);
        expect(verdict).toMatchObject({ ok: true });
      }
      process.stdout.write(
        `replicas: ${REPLICAS}, writers ${WRITERS}, writes acknowledged ${acknowledged.length} (refused or failed while the database was down: ${refused}), ` +
          `lost ${lost}, answers identical, checkpoints consistent (${kept.treeSize} → ${checkpoints[0].treeSize}); kill -9, then ${scenario}\n`,
      );
    }, 180_000);
  },
);
