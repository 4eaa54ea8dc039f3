import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestApp } from '../support/app';
import { givenKeys } from '../support/keys';

/** The /admin routes change or reveal the whole record: an admin's key, and the actor is that key's name. */
describe('admin routes with keys', () => {
  const keys = givenKeys({ 'desk-1': 'editor', 'ops-1': 'admin' });
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ auth: { keysFile: keys.file } });
  });
  afterAll(async () => {
    await app.close();
  });

  it.each([
    ['POST', '/admin/rebuild'],
    ['POST', '/admin/import?format=ndjson'],
    ['GET', '/admin/export/log'],
  ] as const)('refuses %s %s to an editor (403) and to no key (401)', async (method, url) => {
    const editor = await app.inject({ method, url, headers: { authorization: keys.bearer('desk-1'), 'content-type': 'application/x-ndjson' }, payload: '' });
    expect(editor.statusCode).toBe(403);
    const none = await app.inject({ method, url, headers: { 'content-type': 'application/x-ndjson' }, payload: '' });
    expect(none.statusCode).toBe(401);
  });

  it("imports as the admin key's name and exports the log to it", async () => {
    const line = JSON.stringify({ kind: 'figure', id: 'deaths', name: 'Civilian deaths', unit: 'people', scope: { places: ['Iraq'] } });
    const imported = await app.inject({ method: 'POST', url: '/admin/import?format=ndjson', headers: { authorization: keys.bearer('ops-1'), 'content-type': 'application/x-ndjson' }, payload: `${line}\n` });
    expect(imported.statusCode).toBe(201);
    expect(imported.json()).toEqual(expect.objectContaining({ written: 1, rejected: 0 }));
    const log = await app.inject({ method: 'GET', url: '/admin/export/log', headers: { authorization: keys.bearer('ops-1') } });
    expect(log.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const last = JSON.parse(log.body.trim().split('\n').pop() as string);
    expect(last).toEqual(expect.objectContaining({ type: 'FigureDefined', metadata: expect.objectContaining({ actor: 'ops-1' }) }));
    // Like every write, the import answers the position it wrote at (read your writes on any replica).
    expect(imported.headers['annals-position']).toBe(String(last.position));
  });
});
