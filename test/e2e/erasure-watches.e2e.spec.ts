import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { correctionBody, factBody } from '../support/factories';
import { watchesSettled } from '../support/watches';

const NAME = 'Joseph Votel';

/** Every answer and notice body the watch file holds, inflated (they are stored deflated), and its raw bytes. */
function watchFileText(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const bodies = [...db.prepare('SELECT body FROM answers').pluck().all(), ...db.prepare('SELECT body FROM notices').pluck().all()] as (string | Buffer)[];
    return bodies.map((body) => (typeof body === 'string' ? body : inflateRawSync(body).toString('utf8'))).join('\n');
  } finally {
    db.close();
  }
}

describe("watches' answers and notices after an erasure", () => {
  let dir: string;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annals-erasure-watches-'));
    app = await createTestApp({ dataDir: dir, sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') });
  });
  afterEach(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('show [erased on D] in notices and Atom, hold no trace of the name, and a later change tells no one the name', async () => {
    const fact = factBody({ entities: [{ type: 'person', name: NAME }] });
    await http().post('/facts').send(fact).expect(201);
    const { body: created } = await http().post('/watches').send({ kind: 'fact', factId: fact.id, title: 'command' }).expect(201);
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ summary: 'He took command on 30 March 2016.' })).expect(200);
    await watchesSettled(app);
    expect(JSON.stringify((await http().get(`/watches/${created.watch.id}/notices`).expect(200)).body)).toContain(NAME);
    expect(watchFileText(join(dir, 'watches.db'))).toContain(NAME);

    const erased = (await http().post('/admin/subjects/erase').send({ subject: NAME, reason: 'request 9' }).expect(200)).body;
    const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;

    const notices = JSON.stringify((await http().get(`/watches/${created.watch.id}/notices`).expect(200)).body);
    expect(notices).not.toMatch(/votel/i);
    expect(notices).toContain(marker);
    expect((await http().get('/notices.atom').expect(200)).text).not.toMatch(/votel/i);
    expect(watchFileText(join(dir, 'watches.db'))).not.toMatch(/votel/i);

    // The next change is told as that change alone: the erased name is no "before" of it.
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ summary: 'Corrected again.' })).expect(200);
    await watchesSettled(app);
    const after = (await http().get(`/watches/${created.watch.id}/notices`).expect(200)).body.items;
    expect(after).toHaveLength(2);
    expect(JSON.stringify(after)).not.toMatch(/votel/i);
    await app.close();
    expect(readFileSync(join(dir, 'watches.db')).toString('latin1')).not.toMatch(/votel/i);
  });
});
