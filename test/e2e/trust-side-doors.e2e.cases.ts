import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createKey, revokeKey } from '../../src/auth/key-commands';
import { runKeysCommand } from '../../src/cli/commands/keys.command';
import { EVENT_STORE } from '../../src/event-store/event-store';
import { createTestApp, type TestConfig } from '../support/app';
import { factBody } from '../support/factories';
import { givenKeys } from '../support/keys';

/** Issue 18: the ways around the keys an outside attack found, each closed. */

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Past this, a change to the keys in the log must have reached the service (SQLite polls another process's appends every 250 ms). */
const WITHIN_A_SECOND = 1000;

/** Opens GET /events; resolves once the stream is open, with what it received and when it ended. */
function openStream(base: string, path: string, headers: Record<string, string>): Promise<{ text: () => string; ended: Promise<number> }> {
  return new Promise((resolve, reject) => {
    get(`${base}${path}`, { headers }, (response: IncomingMessage) => {
      if (response.statusCode !== 200) return reject(new Error(`status ${response.statusCode}`));
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      const ended = new Promise<number>((done) => response.on('close', () => done(Date.now())));
      resolve({ text: () => text, ended });
    }).on('error', reject);
  });
}

const cookieOf = (response: request.Response) => (response.headers['set-cookie'] as unknown as string[])[0].split(';')[0];

describe('a keys file that vanishes, empties or turns unreadable opens nothing', () => {
  const keys = givenKeys({ desk: 'editor', boss: 'admin' });
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  beforeAll(async () => (app = await createTestApp({ auth: { keysFile: keys.file } })));
  afterAll(() => app.close());

  it.each([
    ['deleted', () => rmSync(keys.file, { force: true })],
    ['emptied', () => writeFileSync(keys.file, '{"version":1,"keys":[]}')],
    ['unreadable', () => writeFileSync(keys.file, '{ half a file')],
  ])('keeps writes and admin routes closed when the file is %s while the service runs', async (_how, change) => {
    change();
    await pause(1100);
    const write = await http().post('/facts').send(factBody());
    expect(write.status).toBe(401);
    expect((await http().get('/auth/keys')).status).toBe(401);
    expect((await http().get('/auth/session')).body.keysConfigured).toBe(true);
    await http().post('/facts').set('Authorization', keys.bearer('desk')).send(factBody()).expect(201);
  });
});

describe('keys in a log on disk, shared with the command line', () => {
  let dir: string;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const onDisk = (keysFile: string): TestConfig => ({
    dataDir: dir,
    sqlitePath: join(dir, 'events.db'),
    readModelPath: join(dir, 'read-models.db'),
    auth: { keysFile, sessionSecret: 's'.repeat(32) },
  });
  const cli = async (...argv: string[]) => {
    let out = '';
    const code = await runKeysCommand(['--data-dir', dir, ...argv], { out: (t) => void (out += t), err: () => undefined }, {});
    return { code, out };
  };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'annals-trust-'))));
  afterEach(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries keys.json into the log once (renamed keys.json.migrated), and takes keys made and revoked by `annals keys` within a second', async () => {
    const keys = givenKeys({ desk: 'editor' });
    const file = join(dir, 'keys.json');
    copyFileSync(keys.file, file);
    app = await createTestApp(onDisk(file));
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.migrated`)).toBe(true);
    await http().post('/facts').set('Authorization', keys.bearer('desk')).send(factBody()).expect(201);
    expect((await http().post('/facts').send(factBody())).status).toBe(401);

    const created = await cli('create', '--name', 'newcomer', '--role', 'editor');
    expect(created.code).toBe(0);
    await pause(WITHIN_A_SECOND);
    await http().post('/facts').set('Authorization', `Bearer ${created.out.trim()}`).send(factBody()).expect(201);
    expect((await cli('revoke', 'desk')).code).toBe(0);
    await pause(WITHIN_A_SECOND);
    expect((await http().post('/facts').set('Authorization', keys.bearer('desk')).send(factBody())).status).toBe(401);
  });

  it('refuses a session token after its logout, also after a restart, while a new login works', async () => {
    const keys = givenKeys({ desk: 'editor' });
    app = await createTestApp(onDisk(keys.file));
    const cookie = cookieOf(await http().post('/auth/session').send({ key: keys.secret('desk') }).expect(200));
    expect((await http().get('/auth/session').set('Cookie', cookie)).body.authenticated).toBe(true);
    await http().delete('/auth/session').set('Cookie', cookie).expect(204);
    expect((await http().get('/auth/session').set('Cookie', cookie)).body.authenticated).toBe(false);
    const write = await http().post('/facts').set('Cookie', cookie).set('x-annals-csrf', '1').send(factBody());
    expect(write.status).toBe(401);
    const other = cookieOf(await http().post('/auth/session').send({ key: keys.secret('desk') }).expect(200));
    await app.close();
    app = await createTestApp(onDisk(keys.file));
    expect((await http().get('/auth/session').set('Cookie', cookie)).body.authenticated).toBe(false);
    expect((await http().get('/auth/session').set('Cookie', other)).body).toMatchObject({ authenticated: true, name: 'desk' });
  });
});

describe('revoking a key or logging out ends what it has open', () => {
  const keys = givenKeys({ leaver: 'reader', desk: 'editor' });
  let app: NestFastifyApplication;
  let base: string;
  const http = () => request(app.getHttpServer());
  beforeAll(async () => {
    app = await createTestApp({ auth: { keysFile: keys.file } });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  it('ends a revoked key’s open /events stream within a second, with a last message saying why', async () => {
    const stream = await openStream(base, '/events?from=0', { authorization: keys.bearer('leaver') });
    const at = Date.now();
    await revokeKey(app.get(EVENT_STORE), 'leaver', 'annals-cli');
    expect((await stream.ended) - at).toBeLessThan(WITHIN_A_SECOND);
    expect(stream.text()).toContain('event: unauthorized');
  });

  it('ends a revoked key’s open watch notices stream within a second', async () => {
    const { secret } = await createKey(app.get(EVENT_STORE), { name: 'watcher', role: 'reader' }, 'annals-cli');
    await pause(100);
    const stream = await openStream(base, '/notices/stream', { authorization: `Bearer ${secret}` });
    const at = Date.now();
    await revokeKey(app.get(EVENT_STORE), 'watcher', 'annals-cli');
    expect((await stream.ended) - at).toBeLessThan(WITHIN_A_SECOND);
    expect(stream.text()).toContain('event: unauthorized');
  });

  it('ends the /events stream of a session when it logs out, and leaves other keys’ streams open', async () => {
    const cookie = cookieOf(await http().post('/auth/session').send({ key: keys.secret('desk') }).expect(200));
    const session = await openStream(base, '/events', { cookie });
    const bearer = await openStream(base, '/events', { authorization: keys.bearer('desk') });
    const at = Date.now();
    await http().delete('/auth/session').set('Cookie', cookie).expect(204);
    expect((await session.ended) - at).toBeLessThan(WITHIN_A_SECOND);
    const stillOpen = await Promise.race([bearer.ended.then(() => false), pause(300).then(() => true)]);
    expect(stillOpen).toBe(true);
  });
});

describe('login throttling', () => {
  const keys = givenKeys({ desk: 'editor', audit: 'reader' });
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  beforeAll(async () => (app = await createTestApp({ auth: { keysFile: keys.file } })));
  afterAll(() => app.close());

  it('lets a correct key log in at once after 20 wrong logins from the same address', async () => {
    for (let i = 0; i < 20; i++) expect((await http().post('/auth/session').send({ key: `annals_guess-${i % 5}` })).status).toBeGreaterThanOrEqual(401);
    await http().post('/auth/session').send({ key: keys.secret('desk') }).expect(200);
    await http().post('/auth/session').send({ key: keys.secret('audit') }).expect(200);
  });

  it('backs off a key tried wrongly again and again: 429 with Retry-After', async () => {
    const tries = [];
    for (let i = 0; i < 6; i++) tries.push(await http().post('/auth/session').send({ key: 'annals_the-same-guess' }));
    expect(tries.slice(0, 4).map((r) => r.status)).toEqual([401, 401, 401, 401]);
    const refused = tries[5];
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
