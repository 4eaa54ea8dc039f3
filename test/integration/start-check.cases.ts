import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import type { TreeHead } from '../../src/integrity/checkpoint';
import { readLog } from '../../src/integrity/read-log';
import { signerFromSeed } from '../../src/integrity/signed-note';
import { keepVerifiedPrefix, RowDigest, verifiedPrefix } from '../../src/integrity/start-check';
import { verifyLog, type WalkEnd } from '../../src/integrity/verify-log';

/**
 * The cheap start check: a prefix verified once is trusted again only while its rows are byte for
 * byte the same; every way of tampering with it sends the start back to the full walk, and the
 * events after it are checked as the full walk checks them.
 */
describe('the start check resumed from a verified prefix', () => {
  let dir: string;
  const signer = signerFromSeed('annals.test/log', randomBytes(32));
  const paths = () => ({ log: join(dir, 'events.db'), note: join(dir, 'verified-prefix') });
  const event = (n: number) => ({ id: randomUUID(), type: 'Noted', data: { n, text: `note ${n}` }, metadata: { actor: 'desk' } });

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'annals-start-check-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** 30 events over 4 streams, walked in full and kept as the verified prefix; the checkpoint signed over it. */
  async function verifiedLog(): Promise<TreeHead> {
    const store = new SqliteEventStore({ path: paths().log });
    for (let n = 0; n < 30; n++) await store.appendToStream(`notes-${n % 4}`, [event(n)], { expectedRevision: 'any' });
    let end: WalkEnd | undefined;
    const report = await verifyLog(readLog(store), { contiguousPositions: true, end: (e) => (end = e) });
    expect(report.ok).toBe(true);
    await keepVerifiedPrefix(paths().note, signer, new RowDigest(store), end as WalkEnd);
    await store.close();
    return { origin: signer.name, size: report.treeSize, rootHash: Buffer.from(report.rootHash, 'base64') };
  }

  function tamper(change: (db: Database.Database) => void): void {
    const db = new Database(paths().log);
    db.exec('DROP TRIGGER events_are_immutable; DROP TRIGGER events_are_never_deleted;');
    change(db);
    db.close();
  }

  it('walks only the events after the prefix, and ends where the full walk ends', async () => {
    const checkpoint = await verifiedLog();
    const store = new SqliteEventStore({ path: paths().log });
    for (let n = 30; n < 45; n++) await store.appendToStream(`notes-${n % 5}`, [event(n)], { expectedRevision: 'any' });
    const { prefix, why } = await verifiedPrefix(paths().note, store, signer, checkpoint);
    expect(why).toMatch(/first 30 events are unchanged/);
    let walked = 0;
    const counted = async function* () {
      for await (const e of readLog(store, prefix?.resume.last?.position)) {
        walked += 1;
        yield e;
      }
    };
    const resumed = await verifyLog(counted(), { checkpoint, contiguousPositions: true, resume: prefix?.resume });
    const full = await verifyLog(readLog(store), { checkpoint, contiguousPositions: true });
    expect(walked).toBe(15);
    expect(resumed).toMatchObject({ ok: true, events: 45, treeSize: 45, rootHash: full.rootHash, checkpoint: { matches: true } });
    await store.close();
  });

  it.each([
    ['an edited event', (db: Database.Database) => db.exec("UPDATE events SET data = json_set(data, '$.text', 'other') WHERE position = 3")],
    ['a deleted event', (db: Database.Database) => db.exec('DELETE FROM events WHERE position = 7')],
    ['the last event deleted', (db: Database.Database) => db.exec('DELETE FROM events WHERE position = 30')],
    ['a rewritten actor', (db: Database.Database) => db.exec("UPDATE events SET metadata = json_set(metadata, '$.actor', 'x') WHERE position = 12")],
    ['a moved record time', (db: Database.Database) => db.exec('UPDATE events SET recorded_at = recorded_at + 1 WHERE position = 20')],
    [
      'two events swapped',
      (db: Database.Database) => db.exec('UPDATE events SET position = -1 WHERE position = 4; UPDATE events SET position = 4 WHERE position = 5; UPDATE events SET position = 5 WHERE position = -1'),
    ],
  ])('falls back to the full walk after %s in the prefix', async (_name, change) => {
    const checkpoint = await verifiedLog();
    tamper(change);
    const store = new SqliteEventStore({ path: paths().log });
    expect(await verifiedPrefix(paths().note, store, signer, checkpoint)).toEqual({ why: 'the rows of the verified prefix changed since it was verified' });
    expect((await verifyLog(readLog(store), { checkpoint, contiguousPositions: true })).ok).toBe(false);
    await store.close();
  });

  it('trusts no note it cannot open with the key, and none ahead of the kept checkpoint', async () => {
    const checkpoint = await verifiedLog();
    const store = new SqliteEventStore({ path: paths().log });
    expect((await verifiedPrefix(paths().note, store, signer, { ...checkpoint, size: 29 })).prefix).toBeUndefined();
    expect((await verifiedPrefix(paths().note, store, signer, undefined)).prefix).toBeUndefined();
    writeFileSync(paths().note, readFileSync(paths().note, 'utf8').replace('"size":30', '"size":31'));
    expect((await verifiedPrefix(paths().note, store, signer, checkpoint)).why).toMatch(/does not open/);
    await store.close();
  });

  it('finds a mismatch after the prefix as the full walk does', async () => {
    const checkpoint = await verifiedLog();
    const store = new SqliteEventStore({ path: paths().log });
    for (let n = 30; n < 40; n++) await store.appendToStream(`notes-${n % 4}`, [event(n)], { expectedRevision: 'any' });
    await store.close();
    tamper((db) => db.exec("UPDATE events SET data = json_set(data, '$.text', 'other') WHERE position = 35"));
    const reopened = new SqliteEventStore({ path: paths().log });
    const { prefix } = await verifiedPrefix(paths().note, reopened, signer, checkpoint);
    const resumed = await verifyLog(readLog(reopened, prefix?.resume.last?.position), { checkpoint, contiguousPositions: true, resume: prefix?.resume });
    const full = await verifyLog(readLog(reopened), { checkpoint, contiguousPositions: true });
    expect(resumed.firstMismatch).toEqual(full.firstMismatch);
    expect(resumed.firstMismatch).toMatchObject({ kind: 'edited', position: '35' });
    await reopened.close();
  });
});
