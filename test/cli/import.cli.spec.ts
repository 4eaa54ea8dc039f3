import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { annals, tempDir } from './run-cli';

const HEADER = 'id,title,summary,tags,entities,at,from,to,source_publisher,source_title,source_url,source_published_on,source_quote';

function factRow(n: number, title = `Strike report ${n}`): string {
  const day = String((n % 28) + 1).padStart(2, '0');
  return `fact-${n},"${title}",Summary of report ${n},strikes; report,organisation:Coalition,2018-03-${day},,,Airwars,Report ${n},https://airwars.org/report/${n},2018-04,`;
}

describe('annals import (CSV, 10,000 rows)', () => {
  const { dir, remove } = tempDir();
  const file = join(dir, 'facts.csv');
  const rows = Array.from({ length: 10_000 }, (_, n) => factRow(n));
  const head = async () => JSON.parse((await annals(['--data-dir', dir, '--json', 'status'])).stdout).store.headPosition as string;

  afterAll(remove);

  it('writes every row once, showing progress and a summary', async () => {
    writeFileSync(file, [HEADER, ...rows].join('\n'));
    const run = await annals(['--data-dir', dir, 'import', file, '--progress']);
    expect(run.stderr).toContain('importing [');
    expect(run.stderr).toContain('10000/10000 records');
    expect(run.stdout).toContain('written 10000 (recorded 10000, corrected 0, retracted 0) · unchanged 0 · rejected 0');
    expect(run.code).toBe(0);
  }, 120_000);

  it('writes nothing when the same file is imported again', async () => {
    const before = await head();
    const run = await annals(['--data-dir', dir, '--json', 'import', file]);
    expect(JSON.parse(run.stdout)).toEqual(expect.objectContaining({ written: 0, unchanged: 10_000, rejected: 0 }));
    expect(await head()).toBe(before);
  }, 60_000);

  it('writes only the differences of an edited copy with --sync, attributed to the importer with a reason', async () => {
    const edited = [...rows];
    edited[10] = factRow(10, 'Strike report 10, corrected');
    edited[20] = factRow(20, 'Strike report 20, corrected');
    edited.splice(30, 1); // fact-30 is gone from the sheet
    edited.push(factRow(10_000));
    const copy = join(dir, 'facts-edited.csv');
    writeFileSync(copy, [HEADER, ...edited].join('\n'));
    const before = BigInt(await head());

    const run = await annals(['--data-dir', dir, '--json', 'import', copy, '--sync', '--actor', 'desk-jane', '--reason', 'weekly sheet']);
    expect(JSON.parse(run.stdout)).toEqual(expect.objectContaining({ written: 4, recorded: 1, corrected: 2, retracted: 1, unchanged: 9_997, rejected: 0 }));
    expect(BigInt(await head())).toBe(before + 4n);

    const log = (await annals(['--data-dir', dir, 'export', 'log', '--from', String(before + 1n)])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((e) => [e.type, e.streamId, e.metadata.actor, e.metadata.reason]).sort()).toEqual(
      [
        ['FactCorrected', 'fact-fact-10', 'desk-jane', 'weekly sheet'],
        ['FactCorrected', 'fact-fact-20', 'desk-jane', 'weekly sheet'],
        ['FactRecorded', 'fact-fact-10000', 'desk-jane', undefined],
        ['FactRetracted', 'fact-fact-30', 'desk-jane', 'weekly sheet'],
      ].sort(),
    );
  }, 120_000);
});
