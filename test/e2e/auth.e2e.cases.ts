import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { get, type IncomingMessage } from 'node:http';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { createKey, revokeKey } from '../../src/auth/key-commands';
import { ErasureService } from '../../src/erasure/erasure.service';
import { EVENT_STORE } from '../../src/event-store/event-store';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { givenKeys } from '../support/keys';
import { eventually } from '../support/watches';

/** API keys and roles through the real app: who may write, what is recorded as the actor, and the browser's session. */

const PROBLEM = /^application\/problem\+json/;
/** A key made or revoked in the log reaches the service's key ring within this. */
const KEY_RING_MS = 1000;
/** Waits, at most KEY_RING_MS, for the key ring to hold `name`: a key created after every change under test, so all of them are in. */
const keyRingSees = (app: NestFastifyApplication, name: string) =>
  eventually(() => (app.get(AuthService).keys.byKeyName(name) ? true : undefined), `the key ring to hold ${name}`, KEY_RING_MS);

interface StreamMessage {
  type: string;
  streamId: string;
  metadata: Record<string, unknown>;
}

/** The first `count` messages of GET /events from `base`; rejects with the status when the answer is not a stream. */
function events(base: string, path: string, count: number, headers: Record<string, string> = {}): Promise<StreamMessage[]> {
  return new Promise((resolve, reject) => {
    get(`${base}${path}`, { headers }, (response: IncomingMessage) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`status ${response.statusCode}`));
      }
      const messages: StreamMessage[] = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const line of blocks.flatMap((b) => b.split('\n')).filter((l) => l.startsWith('data: '))) messages.push(JSON.parse(line.slice(6)));
        if (messages.length >= count) {
          response.destroy();
          resolve(messages.slice(0, count));
        }
      });
    }).on('error', reject);
  });
}

describe('access with API keys', () => {
  const keys = givenKeys({ desk: 'editor', audit: 'reader', boss: 'admin', cms: { role: 'editor', onBehalfOf: true }, leaver: 'editor' });
  let app: NestFastifyApplication;
  let base: string;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp({ auth: { keysFile: keys.file } });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  it('answers a write without a key 401 problem+json with WWW-Authenticate, writing nothing', async () => {
    const before = (await http().get('/health')).body.info.eventStore.headPosition;
    const response = await http().post('/facts').send(factBody());
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="annals"');
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body).toMatchObject({ status: 401, code: 'auth.missing-key' });
    expect((await http().get('/health')).body.info.eventStore.headPosition).toBe(before);
  });

  it('answers a write with a reader key 403 auth.forbidden', async () => {
    const response = await http().post('/facts').set('Authorization', keys.bearer('audit')).send(factBody());
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body).toMatchObject({ status: 403, code: 'auth.forbidden' });
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it('answers an unknown key or a malformed Authorization 401, on reads too', async () => {
    const unknown = await http().get('/timeline').set('Authorization', 'Bearer annals_not-a-key');
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe('auth.invalid-key');
    const basic = await http().post('/facts').set('Authorization', 'Basic ZGVzazpwdw==').send(factBody());
    expect(basic.status).toBe(401);
    expect(basic.body.code).toBe('auth.malformed-authorization');
  });

  it('records the key’s name as the actor with an editor key, whatever X-Actor says, in the history and in /events', async () => {
    const fact = factBody();
    const written = await http().post('/facts').set('Authorization', keys.bearer('desk')).set('X-Actor', 'someone-else').send(fact);
    expect(written.status).toBe(201);
    const history = (await http().get(`/facts/${fact.id}/history`).expect(200)).body;
    expect(history.versions[0].lastChange).toMatchObject({ actor: 'desk' });
    const [event] = await events(base, `/events?from=${BigInt(written.body.position) - 1n}`, 1);
    expect(event.streamId).toBe(`fact-${fact.id}`);
    expect(event.metadata.actor).toBe('desk');
    expect(event.metadata).not.toHaveProperty('onBehalfOf');
  });

  it('records X-Actor as onBehalfOf only for a key created with that permission, sealed as that person’s data', async () => {
    const fact = factBody();
    const written = await http().post('/facts').set('Authorization', keys.bearer('cms')).set('X-Actor', 'Jane Reporter').send(fact).expect(201);
    // The key's name is the actor, in clear; whom it wrote for is a person's name, stored sealed (docs/erasure.md)…
    const [stored] = await app.get(EVENT_STORE).readStream(`fact-${fact.id}`);
    expect(stored.metadata).toMatchObject({ actor: 'cms', onBehalfOf: expect.stringMatching(/^annals:sealed:v1:/) });
    expect(app.get(ErasureService).seal.open({ type: 'FactRecorded', data: {}, metadata: stored.metadata as Record<string, unknown> }).metadata.onBehalfOf).toBe('Jane Reporter');
    // …and the feed opens it as every answer does while the subject's key lives (erased, it reads as the marker).
    const [event] = await events(base, `/events?from=${BigInt(written.body.position) - 1n}`, 1);
    expect(event.metadata).toMatchObject({ actor: 'cms', onBehalfOf: 'Jane Reporter' });
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.lastChange.actor).toBe('cms');
  });

  it('lets an admin key write, and keeps /auth/keys (an @Role(admin) route) to admins', async () => {
    await http().post('/facts').set('Authorization', keys.bearer('boss')).send(factBody()).expect(201);
    const listed = await http().get('/auth/keys').set('Authorization', keys.bearer('boss')).expect(200);
    expect(listed.body.items.map((k: { name: string }) => k.name)).toEqual(['desk', 'audit', 'boss', 'cms', 'leaver']);
    expect(JSON.stringify(listed.body)).not.toMatch(/hash|annals_/);
    expect((await http().get('/auth/keys').set('Authorization', keys.bearer('desk'))).status).toBe(403);
    expect((await http().get('/auth/keys')).status).toBe(401);
  });

  it('keeps reads open by default', async () => {
    await http().get('/timeline').expect(200);
    await http().get('/figures').expect(200);
  });

  it('sees keys revoked and created by the command line without a restart', async () => {
    await http().post('/facts').set('Authorization', keys.bearer('leaver')).send(factBody()).expect(201);
    await revokeKey(app.get(EVENT_STORE), 'leaver', 'annals-cli');
    const { secret } = await createKey(app.get(EVENT_STORE), { name: 'newcomer', role: 'editor' }, 'annals-cli');
    await keyRingSees(app, 'newcomer');
    const revoked = await http().post('/facts').set('Authorization', keys.bearer('leaver')).send(factBody());
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('auth.invalid-key');
    await http().post('/facts').set('Authorization', `Bearer ${secret}`).send(factBody()).expect(201);
  });

  describe('the browser session', () => {
    const login = async (name: string) => {
      const response = await http().post('/auth/session').send({ key: keys.secret(name) }).expect(200);
      const cookie = (response.headers['set-cookie'] as unknown as string[])[0];
      return { response, cookie: cookie.split(';')[0] };
    };

    it('trades a key for an HttpOnly, SameSite=Strict cookie that holds a signed session, never the key', async () => {
      const { response, cookie } = await login('desk');
      expect(response.body).toMatchObject({ name: 'desk', role: 'editor', expiresAt: expect.any(String) });
      const set = (response.headers['set-cookie'] as unknown as string[])[0];
      expect(set).toMatch(/^annals_session=[^;]+; Max-Age=3600; Path=\/; HttpOnly; SameSite=Strict$/);
      expect(set).not.toContain(keys.secret('desk'));
      expect((await http().get('/auth/session').set('Cookie', cookie).expect(200)).body).toMatchObject({ authenticated: true, name: 'desk', role: 'editor' });
    });

    it('refuses a wrong key 401 and sets no cookie', async () => {
      const response = await http().post('/auth/session').send({ key: 'annals_wrong' });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('auth.invalid-key');
      expect(response.headers['set-cookie']).toBeUndefined();
    });

    it('lets the cookie write (with the CSRF header) as the key’s name, and refuses a cookie write without it', async () => {
      const { cookie } = await login('desk');
      const withoutHeader = await http().post('/facts').set('Cookie', cookie).send(factBody());
      expect(withoutHeader.status).toBe(403);
      expect(withoutHeader.body.code).toBe('auth.csrf-header-missing');
      const fact = factBody();
      await http().post('/facts').set('Cookie', cookie).set('X-Annals-Csrf', '1').send(fact).expect(201);
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body.lastChange.actor).toBe('desk');
    });

    it('keeps a reader’s cookie to reads', async () => {
      const { cookie } = await login('audit');
      expect((await http().post('/facts').set('Cookie', cookie).set('X-Annals-Csrf', '1').send(factBody())).status).toBe(403);
    });

    it('refuses a forged or tampered cookie, and logging out clears it', async () => {
      const { cookie } = await login('audit');
      const tampered = cookie.replace(/=(.)/, (_, c: string) => `=${c === 'A' ? 'B' : 'A'}`);
      expect((await http().get('/auth/session').set('Cookie', tampered)).body.authenticated).toBe(false);
      const out = await http().delete('/auth/session').set('Cookie', cookie).expect(204);
      expect((out.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^annals_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict$/);
    });
  });
});

describe('access with reads closed (ANNALS_READS_NEED_KEY)', () => {
  const keys = givenKeys({ audit: 'reader' });
  let app: NestFastifyApplication;
  let base: string;
  const http = () => request(app.getHttpServer());
  beforeAll(async () => {
    app = await createTestApp({ auth: { keysFile: keys.file, readsNeedKey: true } });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  it('answers reads without a key 401, and with a reader key 200', async () => {
    for (const path of ['/timeline', '/figures', '/facts/x/history']) {
      const response = await http().get(path);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="annals"');
    }
    await http().get('/timeline').set('Authorization', keys.bearer('audit')).expect(200);
  });

  it('keeps the page, its login, the API reference and /health open', async () => {
    await http().get('/').expect(200);
    await http().get('/docs/json').expect(200);
    await http().get('/health').expect(200);
    expect((await http().get('/auth/session').expect(200)).body).toEqual({ authenticated: false, readsNeedKey: true, keysConfigured: true });
  });

  it('opens /events to the session cookie, and not without it', async () => {
    await expect(events(base, '/events?from=0', 1)).rejects.toThrow('status 401');
    const login = await http().post('/auth/session').send({ key: keys.secret('audit') }).expect(200);
    const cookie = (login.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    await http().get('/timeline').set('Cookie', cookie).expect(200);
    const editor = (await createKey(app.get(EVENT_STORE), { name: 'desk', role: 'editor' }, 'annals-cli')).secret;
    await keyRingSees(app, 'desk');
    await http().post('/facts').set('Authorization', `Bearer ${editor}`).send(factBody()).expect(201);
    const [event] = await events(base, '/events?from=0&streams=fact-', 1, { cookie });
    expect(event).toMatchObject({ type: 'FactRecorded', metadata: { actor: 'desk' } });
  });
});

describe('access with no keys at all (the one-command demo)', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  beforeAll(async () => (app = await createTestApp()));
  afterAll(() => app.close());

  it('keeps writes open, recording "anonymous" as the actor: X-Actor is never the actor', async () => {
    const fact = factBody();
    await http().post('/facts').set('X-Actor', 'claimed-name').send(fact).expect(201);
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.lastChange.actor).toBe('anonymous');
  });
});
