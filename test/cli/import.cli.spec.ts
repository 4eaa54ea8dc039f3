import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { annals, tempDir } from './run-cli';

const HEADER = 'id,title,summary,tags,entities,at,from,to,source_publisher,source_title,source_url,source_published_on,source_quote';

function factRow(n: number, title = `Strike report ${n}`): string {
  const day = String((n % 28) + 1).padStart(2, '0');
  return `fact-${n},"${title}",Summary of report ${n},strikes; report,organisation:Coalition,2018-03-${day},,,Airwars,Report ${n},https://airwars.org/report/${n},2018-04,`;
}

/**
 * Just over the importer's 5,000-event read page (its stored-fact scan in --sync), so the sheet spans
 * two pages and a fact dropped from the second page is retracted too; any more rows prove nothing more.
 */
const ROWS = 5_050;
const LATE = ROWS - 10;

describe(`annals import (CSV, ${ROWS.toLocaleString('en')} rows, more than one read page)`, () => {
  const { dir, remove } = tempDir();
  const file = join(dir, 'facts.csv');
  const rows = Array.from({ length: ROWS }, (_, n) => factRow(n));
  const head = async () => JSON.parse((await annals(['--data-dir', dir, '--json', 'status'])).stdout).store.headPosition as string;

  afterAll(remove);

  it('writes every row once, showing progress and a summary', async () => {
    writeFileSync(file, [HEADER, ...rows].join('\n'));
    const run = await annals(['--data-dir', dir, 'import', file, '--progress']);
    expect(run.stderr).toContain('importing [');
    expect(run.stderr).toContain(`${ROWS}/${ROWS} records`);
    expect(run.stdout).toContain(`written ${ROWS} (recorded ${ROWS}, corrected 0, retracted 0) · unchanged 0 · rejected 0`);
    expect(run.code).toBe(0);
  }, 120_000);

  it('writes nothing when the same file is imported again', async () => {
    const before = await head();
    const run = await annals(['--data-dir', dir, '--json', 'import', file]);
    expect(JSON.parse(run.stdout)).toEqual(expect.objectContaining({ written: 0, unchanged: ROWS, rejected: 0 }));
    expect(await head()).toBe(before);
  }, 60_000);

  it('writes only the differences of an edited copy with --sync, attributed to the importer with a reason', async () => {
    const edited = [...rows];
    edited[10] = factRow(10, 'Strike report 10, corrected');
    edited[20] = factRow(20, 'Strike report 20, corrected');
    edited.splice(LATE, 1); // gone from the sheet: a fact past the first read page
    edited.splice(30, 1); // and one on it
    edited.push(factRow(ROWS));
    const copy = join(dir, 'facts-edited.csv');
    writeFileSync(copy, [HEADER, ...edited].join('\n'));
    const before = BigInt(await head());

    const run = await annals(['--data-dir', dir, '--json', 'import', copy, '--sync', '--actor', 'desk-jane', '--reason', 'weekly sheet']);
    expect(JSON.parse(run.stdout)).toEqual(expect.objectContaining({ written: 5, recorded: 1, corrected: 2, retracted: 2, unchanged: ROWS - 4, rejected: 0 }));
    expect(BigInt(await head())).toBe(before + 5n);

    const log = (await annals(['--data-dir', dir, 'export', 'log', '--from', String(before + 1n)])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((e) => [e.type, e.streamId, e.metadata.actor, e.metadata.reason]).sort()).toEqual(
      [
        ['FactCorrected', 'fact-fact-10', 'desk-jane', 'weekly sheet'],
        ['FactCorrected', 'fact-fact-20', 'desk-jane', 'weekly sheet'],
        ['FactRecorded', `fact-fact-${ROWS}`, 'desk-jane', undefined],
        ['FactRetracted', 'fact-fact-30', 'desk-jane', 'weekly sheet'],
        ['FactRetracted', `fact-fact-${LATE}`, 'desk-jane', 'weekly sheet'],
      ].sort(),
    );
  }, 120_000);
});
