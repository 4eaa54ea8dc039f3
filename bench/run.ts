import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDatasets, growth } from './growth';
import { figureWrites } from './figure-writes';
import { http } from './http';
import { rebuildAlone, rebuildFigure, serviceMemory } from './rebuild';
import { storeAppends } from './store-appends';
import { subscriptions } from './subscriptions';
import { watches } from './watches';
import { codeVersion, machine, versions, type Mode } from './support/env';
import { table, type Row } from './support/report';

/**
 * npm run bench [-- --quick]: runs the five measurements in order, prints one table and writes
 * it to bench/results.json. Every database lives in one temp dir, removed at the end (the
 * generated logs are reused within the run, never across runs).
 */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const keep = process.argv.includes('--keep');
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
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
    // --only rebuild [--log <events.db>]: measurement 4 alone (see rebuildAlone).
    if (only === 'rebuild') {
      const log = process.argv.includes('--log') ? process.argv[process.argv.indexOf('--log') + 1] : undefined;
      await step('4 rebuild', () => rebuildAlone(mode, log));
      return;
    }
    await step('1 store appends', () => storeAppends(mode));
    await step('1b figure writes', () => figureWrites(mode));
    await step('2 http', () => http(mode));
    let datasets: Awaited<ReturnType<typeof buildDatasets>> = [];
    await step('3 datasets (generate + rebuild)', async () => {
      console.log('\n[3/4] generating the logs and rebuilding their read models');
      datasets = await buildDatasets(mode);
      return [];
    });
    await step('3 growth', () => growth(mode, datasets));
    const largest = datasets[datasets.length - 1];
    await step('4 rebuild', async () => {
      console.log('\n[4] projection rebuild and service memory');
      return [await rebuildFigure(mode, largest), await serviceMemory(mode, largest)];
    });
    await step('5 subscriptions', () => subscriptions(mode));
    await step('6 watches', () => watches(mode));
  } finally {
    const seconds = (Date.now() - started) / 1000;
    const text = `${header}\n\n${table(rows)}\n\ntotal ${seconds.toFixed(0)} s (${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')})`;
    console.log(`\n${text}`);
    const result = { mode: quick ? 'quick' : 'full', date: new Date(started).toISOString(), seconds, timings, machine: host, versions: software, code, rows, table: text };
    // A partial run must not replace the full run's table: it goes to the untracked results.local.json.
    const file = only ? 'results.local.json' : 'results.json';
    writeFileSync(join(__dirname, file), `${JSON.stringify(only ? { ...result, only } : result, null, 2)}\n`);
    console.log(`\nwritten to bench/${file}`);
    if (!keep) rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
