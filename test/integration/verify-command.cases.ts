import Database from 'better-sqlite3';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { signerFromSeed, formatVerifierKey } from '../../src/integrity/signed-note';
import { verifyCommand, verifyProofCommand, type CommandIo } from '../../src/cli/commands/verify.command';
import { correctionBody, factBody } from '../support/factories';
import { createTestApp } from '../support/app';

/** The two command-line entries, run as the CLI will run them: parseAsync on user arguments. */
describe('annals verify and verify-proof', () => {
  let dir: string;
  let app: NestFastifyApplication | undefined;
  const config = () => ({ sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), dataDir: dir });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annals-cli-'));
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function cli(make: (io: CommandIo) => ReturnType<typeof verifyCommand>, args: string[]): Promise<{ code: number; out: string; err: string }> {
    const result = { code: -1, out: '', err: '' };
    const io: CommandIo = {
      out: (t) => (result.out += `${t}\n`),
      err: (t) => (result.err += `${t}\n`),
      exit: (c) => (result.code = c),
      env: {},
    };
    try {
      await make(io).parseAsync(args, { from: 'user' });
    } catch {
      // commander's own errors: the exit code is already set
    }
    return result;
  }

  async function writeHistory(): Promise<{ factId: string; position: string }> {
    app = await createTestApp(config());
    const http = () => request((app as NestFastifyApplication).getHttpServer());
    const fact = factBody();
    const { position } = (await http().post('/facts').send(fact).expect(201)).body;
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Formed in 2014' })).expect(200);
    return { factId: fact.id as string, position };
  }

  it('verify: 0 on an intact data dir, 6 naming the first mismatch once it is tampered with, 2 without a store', async () => {
    await writeHistory();
    await app?.close();
    app = undefined;
    const ok = await cli(verifyCommand, ['--data-dir', dir]);
    expect(ok).toMatchObject({ code: 0, out: expect.stringMatching(/^OK: 2 events in 1 streams \(2 chained, 0 legacy/) });
    expect(ok.out).toMatch(/checkpoint of 2: extended/);

    const db = new Database(config().sqlitePath);
    db.exec('DROP TRIGGER events_are_immutable');
    db.exec("UPDATE events SET metadata = json_set(metadata, '$.actor', 'someone-else') WHERE position = 2");
    db.close();
    const caught = await cli(verifyCommand, ['--data-dir', dir, '--json']);
    expect(caught.code).toBe(6);
    expect(JSON.parse(caught.out)).toMatchObject({ ok: false, firstMismatch: { kind: 'edited', position: '2' } });

    expect(await cli(verifyCommand, ['--data-dir', join(dir, 'nowhere')])).toMatchObject({ code: 2, err: expect.stringContaining('no event store') });
    expect((await cli(verifyCommand, ['--bogus'])).code).toBe(2);
  });

  it('verify-proof: checks files and a server with nothing but the public key', async () => {
    const { position } = await writeHistory();
    const http = () => request((app as NestFastifyApplication).getHttpServer());
    const key = (await http().get('/integrity/verifier-key')).text.trim();
    const checkpoint = (await http().get('/integrity/checkpoint')).text;
    const proof = (await http().get(`/integrity/inclusion?position=${position}`)).body;
    writeFileSync(join(dir, 'checkpoint.txt'), checkpoint);
    writeFileSync(join(dir, 'proof.json'), JSON.stringify(proof));
    writeFileSync(join(dir, 'altered.json'), JSON.stringify({ ...proof, leaf: proof.leaf.replace('FactRecorded', 'FactRetracted') }));
    writeFileSync(join(dir, 'key.txt'), key);

    const ok = await cli(verifyProofCommand, ['--key', join(dir, 'key.txt'), '--checkpoint', join(dir, 'checkpoint.txt'), '--proof', join(dir, 'proof.json')]);
    expect(ok).toMatchObject({ code: 0, out: expect.stringContaining('inclusion proof verifies') });
    const altered = await cli(verifyProofCommand, ['--key', key, '--proof', join(dir, 'altered.json')]);
    expect(altered).toMatchObject({ code: 6, out: expect.stringContaining('the event was altered') });
    const stranger = formatVerifierKey(signerFromSeed('annals.localhost/log', Buffer.alloc(32, 9)));
    expect((await cli(verifyProofCommand, ['--key', stranger, '--proof', join(dir, 'proof.json')])).code).toBe(6);
    expect(await cli(verifyProofCommand, ['--proof', join(dir, 'proof.json')])).toMatchObject({ code: 2, err: expect.stringContaining('--key is required') });

    await (app as NestFastifyApplication).listen(0, '127.0.0.1');
    const url = await (app as NestFastifyApplication).getUrl();
    await http().post('/facts').send(factBody()).expect(201);
    const online = await cli(verifyProofCommand, ['--url', url, '--key', key, '--position', position, '--old-checkpoint', join(dir, 'checkpoint.txt')]);
    expect(online.code).toBe(0);
    expect(online.out).toMatch(/inclusion proof verifies/);
    expect(online.out).toMatch(/consistency proof verifies: the log of 3 extends the kept checkpoint of 2/);
  });
});
