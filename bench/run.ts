import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDatasets, growth } from './growth';
import { cache } from './cache';
import { erasure } from './erasure';
import { figureWrites } from './figure-writes';
import { http } from './http';
import { limit } from './limit';
import { rebuildAlone, rebuildFigure, serviceMemory } from './rebuild';
import { storeAppends } from './store-appends';
import { subscriptions } from './subscriptions';
import { identicalWatches, watches } from './watches';
import { codeVersion, machine, versions, type Mode } from './support/env';
import { table, type Row } from './support/report';
import { runMain } from './support/main';

/**
 * npm run bench [-- --quick]: runs the five measurements in order, prints one table and writes
 * it to bench/results.json. Every database lives in one temp dir, removed at the end (the
 * generated logs are reused within the run, never across runs).
 */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const keep = process.argv.includes('--keep');
  // --only growth[,rebuild,…]: just those measurements (the logs are generated when growth or rebuild needs them).
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt > 0 ? (process.argv[onlyAt + 1] ?? '').split(',') : undefined;
  const wanted = (name: string) => only === undefined || only.includes(name);
  const tmp = mkdtempSync(join(tmpdir(), 'annals-bench-'));
  const mode: Mode = { quick, tmp };
  const started = Date.now();
  const host = machine();
  const software = versions();
  const code = codeVersion();
  const header =
    `Annals benchmark (${quick ? 'quick' : 'full'}), ${new Date().toISOString()}\n` +
    `machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB\n` +
    `versions: ${Object.entries(software).map(([k, v]) => `${k} ${v}`).join(', ')}\n` +
    `code: commit ${code.commit}${code.uncommitted.length ? ` + uncommitted changes in ${code.uncommitted.join(', ')}` : ''}`;
  console.log(header);
  console.log(`temp dir: ${tmp}`);
  const rows: Row[] = [];
  const timings: Record<string, number> = {};
  const step = async (name: string, f: () => Promise<Row[]>) => {
    const t = Date.now();
    try {
      rows.push(...(await f()));
    } finally {
      timings[name] = (Date.now() - t) / 1000;
    }
  };
  try {
    // --only rebuild with a given log: measurement 4 alone, over a copy of that log (see rebuildAlone).
    if (only?.length === 1 && only[0] === 'rebuild' && process.argv.includes('--log')) {
      await step('4 rebuild', () => rebuildAlone(mode, process.argv[process.argv.indexOf('--log') + 1]));
      return;
    }
    if (wanted('appends')) await step('1 store appends', () => storeAppends(mode));
    if (wanted('figure-writes')) await step('1b figure writes', () => figureWrites(mode));
    if (wanted('http')) await step('2 http', () => http(mode));
    else if (only?.includes('http-writes')) await step('2 http (writes)', () => http(mode, true));
    if (wanted('cache')) await step('2b cache', () => cache(mode));
    let datasets: Awaited<ReturnType<typeof buildDatasets>> = [];
    if (wanted('growth') || wanted('rebuild') || wanted('limit')) {
      await step('3 datasets (generate + rebuild)', async () => {
        console.log('\n[3/4] generating the logs and rebuilding their read models');
        datasets = await buildDatasets(mode);
        return [];
      });
    }
    let archive: typeof datasets = [];
    if (wanted('growth')) {
      await step('3 datasets, archive series (generate + rebuild)', async () => {
        archive = await buildDatasets(mode, 'archive');
        return [];
      });
      await step('3 growth', () => growth(mode, { archive, figures: datasets }));
    }
    if (wanted('limit')) await step('3b limit', () => limit(mode, datasets));
    const largest = datasets[datasets.length - 1];
    if (wanted('rebuild')) {
      await step('4 rebuild', async () => {
        console.log('\n[4] projection rebuild and service memory');
        return [await rebuildFigure(mode, largest), await serviceMemory(mode, largest)];
      });
    }
    if (wanted('subscriptions')) await step('5 subscriptions', () => subscriptions(mode));
    if (wanted('watches')) await step('6 watches', () => watches(mode));
    if (wanted('identical')) await step('6b identical watches', () => identicalWatches(mode));
    if (wanted('erasure')) await step('7 erasure', () => erasure(mode));
  } finally {
    const seconds = (Date.now() - started) / 1000;
    const text = `${header}\n\n${table(rows)}\n\ntotal ${seconds.toFixed(0)} s (${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')})`;
    console.log(`\n${text}`);
    const result = { mode: quick ? 'quick' : 'full', date: new Date(started).toISOString(), seconds, timings, machine: host, versions: software, code, rows, table: text };
    // A partial run never overwrites the full run's results.
    const file = only === undefined ? 'results.json' : `results-${only.join('-')}.json`;
    writeFileSync(join(__dirname, file), `${JSON.stringify({ ...result, only }, null, 2)}\n`);
    console.log(`\nwritten to bench/${file}`);
    if (!keep) rmSync(tmp, { recursive: true, force: true });
  }
}

runMain(main);
