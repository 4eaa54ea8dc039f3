import 'reflect-metadata';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErasureService } from '../src/erasure/erasure.service';
import { createTestApp } from '../test/support/app';
import { runMain } from './support/main';

/**
 * The CPU profile of one erasure alone (docs/erasure.md, "Speed"): on a copy of a data directory that
 * bench/erasure.ts prepared (`--prepared DIR` keeps it: DIR/erasure-1000), the app is started in this
 * process and the inspector's profiler runs around `ErasureService.erase` only, not the start.
 *
 *   npx ts-node --transpile-only bench/erasure-profile.ts DIR/erasure-1000 [out.cpuprofile]
 *
 * Prints the wall and CPU time of the erase; the profile opens in Chrome DevTools (Performance tab).
 */
async function main(): Promise<void> {
  const [prepared, out = 'erasure.cpuprofile'] = process.argv.slice(2);
  if (!prepared) throw new Error('usage: bench/erasure-profile.ts <prepared data dir> [out.cpuprofile]');
  const dir = mkdtempSync(join(tmpdir(), 'annals-erasure-profile-'));
  cpSync(prepared, dir, { recursive: true });
  const app = await createTestApp({ sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), sqliteSynchronous: 'full' });
  try {
    await app.listen(0, '127.0.0.1');
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const cpu = process.cpuUsage();
    const started = performance.now();
    const erased = await app.get(ErasureService).erase('Bench Witness', 'bench: profile', 'bench');
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    writeFileSync(out, JSON.stringify(profile));
    console.log(`purged ${JSON.stringify(erased.purged)}: ${wall.toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU; profile in ${out}`);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
