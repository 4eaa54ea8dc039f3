import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { DEMO_DATA_FILE, ensureDemoData } from '../../src/demo/demo-data';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { EVENTS_TABLE } from '../../src/event-store/postgres/schema';
import { SUBJECTS_FILE } from '../../src/erasure/erasure.service';
import { SubjectKeyStore } from '../../src/erasure/subject-key-store';
import { fromLogLine } from '../../src/export/log-ndjson';
import { openCheckpoint } from '../../src/integrity/checkpoint';
import { integrityFiles, readCheckpointFile } from '../../src/integrity/integrity-files';
import { parseSignerKey } from '../../src/integrity/signed-note';
import { verifiedPrefix } from '../../src/integrity/start-check';
import { checkInclusion } from '../../src/integrity/verifier';
import { verifyCommand, type CommandIo } from '../../src/cli/commands/verify.command';
import { ReadModels } from '../../src/projections/read-models';
import { annals } from '../cli/run-cli';
import { createTestApp } from '../support/app';
import { claimBody } from '../support/factories';
import { NO_POSTGRES_REASON, postgresBinaries, startPostgres, type PostgresCluster } from '../support/postgres';
import { eventually, watchesSettled } from '../support/watches';

/**
 * Everything around the log works over PostgreSQL as over SQLite: the demo import, signed
 * checkpoints and proofs, the read-model rebuild and its swap, watches, the fast start check,
 * `annals verify` / `status` / `export log`, and an NDJSON export restored into a fresh database
 * answering byte for byte as the original. One cluster for the suite; the tests build on each other
 * in order (the log grows), and the tampering comes last.
 */
const describeWithServer = postgresBinaries() ? describe : describe.skip;

const FIGURE = 'civilians-killed-by-coalition-strikes';

/** `annals verify`, as the CLI runs it: its own exit codes (0 ok, 1 mismatch, 2 usage). */
async function verifyCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = { code: -1, stdout: '', stderr: '' };
  const io: CommandIo = { out: (t) => (result.stdout += `${t}\n`), err: (t) => (result.stderr += `${t}\n`), exit: (c) => (result.code = c), env };
  await verifyCommand(io).parseAsync(args, { from: 'user' });
  return result;
}

describeWithServer(postgresBinaries() ? 'operations on PostgreSQL' : `operations on PostgreSQL (skipped: ${NO_POSTGRES_REASON})`, () => {
  let cluster: PostgresCluster;
  let url: string;
  const dirs: string[] = [];
  const apps: NestFastifyApplication[] = [];
  let app: NestFastifyApplication;
  let dataDir: string;
  let demoImport: Awaited<ReturnType<typeof ensureDemoData>>;

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'annals-pg-ops-'));
    dirs.push(dir);
    return dir;
  };
  const appOn = async (postgresUrl: string, dir: string) => {
    const opened = await createTestApp({ store: 'postgres', postgresUrl, dataDir: dir, readModelPath: join(dir, 'read-models.db') });
    apps.push(opened);
    return opened;
  };
  const cliEnv = (dir: string, postgresUrl = url) => ({ ANNALS_STORE: 'postgres', ANNALS_POSTGRES_URL: postgresUrl, ANNALS_DATA_DIR: dir });
  const head = async (on: NestFastifyApplication) => BigInt((await request(on.getHttpServer()).get('/health')).body.info.eventStore.headPosition);
  const caughtUp = (on: NestFastifyApplication) =>
    eventually(async () => ((await on.get(ReadModels).status()).lag === '0' ? true : undefined), 'the read models to reach the head');

  /** Every question the demo answers, now and at a record time, each as status and body text. */
  async function answers(on: NestFastifyApplication, knownAt: string): Promise<Map<string, string>> {
    const demo = JSON.parse(readFileSync(DEMO_DATA_FILE, 'utf8')) as { facts: { id: string }[]; figures: { id: string }[] };
    const urls = ['/timeline?limit=500&includeRetracted=true', '/timeline?asOf=2017-06-01', '/figures', `/timeline?knownAt=${encodeURIComponent(knownAt)}`];
    for (const fact of demo.facts) urls.push(`/facts/${fact.id}`, `/facts/${fact.id}/history`);
    for (const figure of demo.figures) urls.push(`/figures/${figure.id}`, `/figures/${figure.id}/history`, `/figures/${figure.id}?knownAt=${encodeURIComponent(knownAt)}`);
    const result = new Map<string, string>();
    for (const path of urls) {
      const response = await on.inject({ method: 'GET', url: path });
      result.set(path, `${response.statusCode} ${response.body}`);
    }
    return result;
  }

  beforeAll(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase('annals');
    dataDir = tempDir();
    app = await appOn(url, dataDir);
    // What the server does on its first start over an empty log.
    demoImport = await ensureDemoData(app);
  }, 60_000);

  afterAll(async () => {
    for (const opened of apps.splice(0)) await opened.close().catch(() => undefined);
    await cluster?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('imports the demo and signs checkpoints over it whose proofs a reader checks with the public key alone', async () => {
    expect(demoImport).toMatchObject({ resumed: false });
    const size = await head(app);
    expect(size).toBeGreaterThan(10n);
    await caughtUp(app);
    const http = request(app.getHttpServer());
    const verifierKey = (await http.get('/integrity/verifier-key').expect(200)).text.trim();
    const checkpoint = (await http.get('/integrity/checkpoint.json').expect(200)).body;
    expect(BigInt(checkpoint.treeSize)).toBe(size);
    expect(checkpoint.lastPosition).toBe(String(size));
    for (const position of [1n, size / 2n, size]) {
      const inclusion = (await http.get(`/integrity/inclusion?position=${position}`).expect(200)).body;
      expect(checkInclusion(inclusion, inclusion.checkpoint, verifierKey).ok).toBe(true);
    }
    const verified = (await http.post('/admin/verify').expect(200)).body;
    expect(verified).toMatchObject({ ok: true, events: Number(size), checkpoint: { matches: true } });
  });

  it('rebuilds the read models into a new file and swaps them in, answering the same', async () => {
    const before = await answers(app, new Date().toISOString());
    const http = request(app.getHttpServer());
    const { file: servedBefore } = await app.get(ReadModels).status();
    const started = (await http.post('/admin/rebuild').expect(202)).body.rebuild;
    const status = await eventually(async () => {
      const now = await app.get(ReadModels).status();
      return now.rebuild === null && now.lastRebuild && now.lastRebuild.finishedAt >= started.startedAt ? now : undefined;
    }, 'the rebuild to finish');
    expect(status.lastRebuild?.error).toBeNull();
    expect(status.file).not.toBe(servedBefore);
    const knownAt = [...before.keys()].find((k) => k.includes('knownAt'))!;
    const after = await answers(app, decodeURIComponent(knownAt.split('knownAt=')[1]));
    expect(after).toEqual(before);
  });

  it('tells a watch of a demo figure about a claim recorded after it', async () => {
    const http = request(app.getHttpServer());
    const watch = (await http.post('/watches').send({ kind: 'figure', figureId: FIGURE, asOf: '2019-03-28' }).expect(201)).body.watch.id;
    const claim = await http
      .post(`/figures/${FIGURE}/claims`)
      .send(claimBody({ claimant: 'A new monitor', assertedOn: '2019-01-15', period: undefined }))
      .expect(201);
    await watchesSettled(app);
    const notices = (await http.get(`/watches/${watch}/notices`).expect(200)).body.items;
    expect(notices).toHaveLength(1);
    // Over PostgreSQL the watches are in the log (the lease holder's events may follow the claim), so the notice is at the claim or after it.
    expect(BigInt(notices[0].position)).toBeGreaterThanOrEqual(BigInt(claim.body.position));
    expect(notices[0].events.map((e: { type: string; position: string }) => [e.type, e.position])).toEqual([['ClaimAsserted', claim.body.position]]);
  });

  it('starts again walking only what follows the prefix it verified, its rows digested in PostgreSQL', async () => {
    await app.close();
    // The first start found an empty log; this one walks the demo and keeps it as the verified prefix.
    app = await appOn(url, dataDir);
    expect((await request(app.getHttpServer()).get('/admin/integrity').expect(200)).body.status).toBe('verified');
    // The demo is there: a second start imports nothing.
    expect(await ensureDemoData(app)).toBeUndefined();
    const size = await head(app);
    const files = integrityFiles(dataDir, undefined);
    const signer = parseSignerKey(readFileSync(files.keyFile!, 'utf8'));
    const checkpoint = openCheckpoint(readCheckpointFile(files)!, signer);
    const store = new PostgresEventStore({ connectionString: url });
    try {
      const { prefix, why } = await verifiedPrefix(files.verifiedPrefixFile, store, signer, checkpoint);
      expect(why).toBe(`the first ${size} events are unchanged since they were verified`);
      expect(prefix?.resume.last?.position).toBe(size);
    } finally {
      await store.close();
    }
  });

  it('answers `annals verify`, `status` and `export log` from the PostgreSQL log', async () => {
    const size = await head(app);
    await caughtUp(app);
    await app.close();
    const verify = await verifyCli([], cliEnv(dataDir));
    expect(verify).toMatchObject({ code: 0, stderr: '' });
    expect(verify.stdout).toMatch(new RegExp(`^OK: ${size} events .*checkpoint of ${size}: extended`));
    const status = await annals(['--json', 'status'], cliEnv(dataDir));
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ store: { kind: 'postgres', headPosition: String(size) }, readModels: { position: String(size), lag: '0' } });
    const out = join(tempDir(), 'log.ndjson');
    const exported = await annals(['export', 'log', '--out', out], cliEnv(dataDir));
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => fromLogLine(line).position)).toEqual(Array.from({ length: Number(size) }, (_, i) => BigInt(i + 1)));
    app = await appOn(url, dataDir);
  });

  it('restores the NDJSON export into a fresh database that answers byte for byte as the original, Merkle root included', async () => {
    await caughtUp(app);
    const out = join(tempDir(), 'log.ndjson');
    expect((await annals(['export', 'log', '--out', out], cliEnv(dataDir))).code).toBe(0);
    const events = readFileSync(out, 'utf8').trimEnd().split('\n').map(fromLogLine);
    const freshUrl = await cluster.createDatabase('restored');
    const store = new PostgresEventStore({ connectionString: freshUrl });
    try {
      await expect(store.restore(events)).resolves.toBe(events.length);
      await expect(store.restore(events.slice(0, 1))).rejects.toThrow('not empty');
    } finally {
      await store.close();
    }
    // The export is the log alone, its person names sealed: the keys (tables of the database) go beside it as the
    // key file `annals backup` writes, which the restored service moves into its own tables on start (docs/erasure.md).
    const restoredDir = tempDir();
    const source = new PostgresEventStore({ connectionString: url });
    try {
      SubjectKeyStore.create(join(restoredDir, SUBJECTS_FILE), await source.subjectKeys().snapshot());
    } finally {
      await source.close();
    }
    const restored = await appOn(freshUrl, restoredDir);
    await caughtUp(restored);
    // A record time between the demo and the claim added after it: knownAt answers must agree there too.
    const knownAt = new Date(events[events.length - 1].recordedAt.getTime() - 1).toISOString();
    expect(await answers(restored, knownAt)).toEqual(await answers(app, knownAt));
    const [original, copy] = await Promise.all([app, restored].map(async (on) => (await request(on.getHttpServer()).get('/integrity/checkpoint.json').expect(200)).body));
    expect(copy.treeSize).toBeGreaterThan(10);
    expect({ treeSize: copy.treeSize, rootHash: copy.rootHash, time: copy.time }).toEqual({ treeSize: original.treeSize, rootHash: original.rootHash, time: original.time });
    // Appends after the restore continue the log where it ended.
    const claim = await request(restored.getHttpServer()).post(`/figures/${FIGURE}/claims`).send(claimBody({ claimant: 'After restore', assertedOn: '2019-02-01', period: undefined })).expect(201);
    expect(BigInt(claim.body.position)).toBe(BigInt(events.length) + 1n);
  });

  it('backs a PostgreSQL deployment up with annals backup and restores it with annals restore into a fresh database', async () => {
    await caughtUp(app);
    const file = join(tempDir(), 'annals.backup');
    const backedUp = await annals(['backup', file], cliEnv(dataDir));
    expect(backedUp).toMatchObject({ code: 0 });
    // The log as its NDJSON export (no pg_dump), private like every backup file.
    expect(readFileSync(file, 'utf8').split('\n')[0]).toMatch(/^\{"position":"\d+"/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const freshUrl = await cluster.createDatabase('restored-by-cli');
    const into = tempDir();
    expect((await annals(['restore', file], cliEnv(into, freshUrl))).code).toBe(0);
    // Into a log that holds events it is refused (exit 4), and a SQLite copy is not taken for NDJSON.
    expect((await annals(['restore', file], cliEnv(tempDir(), freshUrl))).code).toBe(4);
    const restored = await appOn(freshUrl, into);
    await caughtUp(restored);
    const knownAt = new Date().toISOString();
    expect(await answers(restored, knownAt)).toEqual(await answers(app, knownAt));
    // The signing key came back with it: the restored service signs with the same public key.
    const key = async (on: NestFastifyApplication) => (await request(on.getHttpServer()).get('/integrity/verifier-key').expect(200)).text;
    expect(await key(restored)).toBe(await key(app));
  });

  it('names a row deleted from the PostgreSQL log, and an edited one, as SQLite does', async () => {
    await app.close();
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      // The log refuses changes; a superuser can turn that off, as an attacker with the database's keys could.
      await admin.query(`ALTER TABLE ${EVENTS_TABLE} DISABLE TRIGGER USER`);
      // The last event of its stream, inside the log: no revision gap shows it, only the positions do.
      const { rows } = await admin.query<{ position: string }>(
        `SELECT position::text FROM ${EVENTS_TABLE} e WHERE position < (SELECT max(position) FROM ${EVENTS_TABLE}) - 1
           AND revision = (SELECT max(revision) FROM ${EVENTS_TABLE} WHERE stream_id = e.stream_id) ORDER BY position DESC LIMIT 1`,
      );
      const deleted = BigInt(rows[0].position);
      await admin.query(`DELETE FROM ${EVENTS_TABLE} WHERE position = $1`, [String(deleted)]);
      // Without the checkpoint, only the contiguity of positions can tell.
      const fresh = await verifyCli(['--json'], cliEnv(tempDir()));
      expect(fresh.code).toBe(6);
      expect(JSON.parse(fresh.stdout).firstMismatch).toMatchObject({ kind: 'missing', detail: expect.stringContaining(`position ${deleted} is missing`) });

      await admin.query(`UPDATE ${EVENTS_TABLE} SET data = replace(data, 'Airwars', 'Nobody') WHERE position = (SELECT min(position) FROM ${EVENTS_TABLE} WHERE data LIKE '%Airwars%')`);
      const files = integrityFiles(dataDir, undefined);
      const signer = parseSignerKey(readFileSync(files.keyFile!, 'utf8'));
      const store = new PostgresEventStore({ connectionString: url });
      try {
        const checkpoint = openCheckpoint(readCheckpointFile(files)!, signer);
        expect(await verifiedPrefix(files.verifiedPrefixFile, store, signer, checkpoint)).toEqual({ why: 'the rows of the verified prefix changed since it was verified' });
      } finally {
        await store.close();
      }
      const kept = await verifyCli(['--json'], cliEnv(dataDir));
      expect(kept.code).toBe(6);
      expect(JSON.parse(kept.stdout).counts).toMatchObject({ edited: 1, missing: 1 });
    } finally {
      await admin.query(`ALTER TABLE ${EVENTS_TABLE} ENABLE TRIGGER USER`);
      await admin.end();
    }
  });
});
