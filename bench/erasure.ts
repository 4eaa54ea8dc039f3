import { cpSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { KeyedSubjectSeal } from '../src/erasure/keyed-seal';
import { SubjectKeyStore } from '../src/erasure/subject-key-store';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store';
import { useSubjectSeal } from '../src/event-store/subject-seal';
import { ProjectionRunner } from '../src/projections/projection-runner';
import { openReadModelDatabase } from '../src/projections/read-model-database';
import { projectionsOn } from '../src/projections/read-model-registry';
import { median } from './stats';
import { event, factRecorded, generateLog, metadata, rng } from './support/data';
import type { Mode } from './support/env';
import { startServer } from './support/processes';
import { int, ms, row, verdict, type Row } from './support/report';

/**
 * Measurement 7: erasing one subject from a log of 100,000 events (docs/erasure.md). The log is the
 * generated mixed log, with the subject named (sealed, as the command path seals a person) in N of
 * its facts; the real app serves it with its read models built, and the figure is the time of
 * `POST /admin/subjects/erase` as the client sees it: the key destroyed, the signed SubjectErased
 * appended, the rows of the N streams built again, the WAL truncated. Each run erases on a fresh
 * copy of the same data directory (an erasure happens once).
 */

const LOG_EVENTS = 100_000;
const TARGET_MS = 1000;
const SUBJECT = 'Bench Witness';

interface Prepared {
  readonly dir: string;
  readonly named: number;
}

/** The mixed log of LOG_EVENTS - named events, then `named` facts naming the subject, sealed; read models built once. */
export async function prepare(mode: Mode, named: number): Promise<Prepared> {
  const dir = join(mode.tmp, `erasure-${named}`);
  mkdirSync(dir, { recursive: true });
  const storePath = join(dir, 'events.db');
  await generateLog(join(dir, 'seed.db'), [LOG_EVENTS - named], () => renameSync(join(dir, 'seed.db'), storePath));
  const keys = new SubjectKeyStore(join(dir, 'subjects.db'));
  const seal = new KeyedSubjectSeal(keys);
  const store = new SqliteEventStore({ path: storePath, synchronous: 'normal' });
  const r = rng(25);
  for (let i = 0; i < named; i++) {
    const factId = `erasure-${i}`;
    const fact = factRecorded(r, factId);
    const recorded = seal.seal(event('FactRecorded', { ...fact, entities: [...fact.entities, { type: 'person', name: SUBJECT }] }, metadata(r)));
    await store.appendToStream(`fact-${factId}`, [recorded], { expectedRevision: 'no_stream' });
  }
  // The read models built once, with the keys (as the service builds them): each run starts on them as a restarted server does.
  useSubjectSeal(store, seal);
  const db = openReadModelDatabase(join(dir, 'read-models.db'));
  const runner = new ProjectionRunner(store, db, projectionsOn(db), { log: () => undefined, error: (message) => console.error(message) });
  await runner.start();
  await runner.stop();
  db.close();
  await store.close();
  keys.close();
  return { dir, named };
}

async function eraseOnce(mode: Mode, prepared: Prepared, run: number): Promise<{ ms: number; purged: unknown }> {
  const dir = join(mode.tmp, `erasure-${prepared.named}-run-${run}`);
  cpSync(prepared.dir, dir, { recursive: true });
  // The log as deployed (synchronous FULL): the SubjectErased append pays its fsync.
  const server = await startServer({ kind: 'app', sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db') });
  try {
    const named = await fetch(`${server.url}/timeline?entity=${encodeURIComponent(SUBJECT)}&limit=1`).then((r) => r.json() as Promise<{ items: unknown[] }>);
    if (named.items.length !== 1) throw new Error('the read models do not show the subject before the erasure');
    const started = performance.now();
    const response = await fetch(`${server.url}/admin/subjects/erase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: SUBJECT, reason: 'bench: erasure request' }),
    });
    const elapsed = performance.now() - started;
    const body = (await response.json()) as { purged?: { streams: number; rebuilt: boolean } };
    if (response.status !== 200) throw new Error(`erase answered ${response.status}: ${JSON.stringify(body)}`);
    if (body.purged?.streams !== prepared.named) throw new Error(`erase purged ${JSON.stringify(body.purged)}, expected ${prepared.named} streams`);
    const left = await fetch(`${server.url}/timeline?entity=${encodeURIComponent(SUBJECT)}`).then((r) => r.json() as Promise<{ items: unknown[] }>);
    if (left.items.length !== 0) throw new Error(`${left.items.length} facts still name the subject after the erasure`);
    return { ms: elapsed, purged: body.purged };
  } finally {
    await server.stop();
  }
}

export async function erasure(mode: Mode): Promise<Row[]> {
  console.log(`\n[7] erasing one subject from a log of ${int(LOG_EVENTS)} events`);
  const rows: Row[] = [];
  for (const named of mode.quick ? [1_000] : [1_000, 10_000]) {
    const prepared = await prepare(mode, named);
    const runs = [];
    for (let run = 0; run < (mode.quick ? 2 : 3); run++) runs.push(await eraseOnce(mode, prepared, run));
    const value = median(runs.map((r) => r.ms));
    rows.push(
      row({
        section: '7 erasure',
        figure: `erase one subject named in ${int(named)} of ${int(LOG_EVENTS)} events (POST /admin/subjects/erase, ms)`,
        value: ms(value),
        target: `< ${int(TARGET_MS)} ms`,
        verdict: verdict(value < TARGET_MS),
        data: { logEvents: LOG_EVENTS, named, runs },
      }),
    );
  }
  return rows;
}
