import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { figureDecider, figureStream, type FigureCommand } from '../src/domain/figure/figure';
import type { EventData, JsonObject } from '../src/event-store/event-store';
import { handleCommand } from '../src/event-store/handle-command';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store';
import { median } from './stats';
import { claimAsserted, figureDefined, metadata, rng } from './support/data';
import { removeDb, type Mode } from './support/env';
import { ms, ratio, row, verdict, type Row } from './support/report';

/**
 * Measurement 1b: the cost of asserting a claim as the figure's history grows. One store (temp
 * file, WAL, synchronous NORMAL so that fsync does not hide the CPU cost), two figures: one seeded
 * with 9,999 claims, one with 9. Claims are then written through handleCommand (read the stream,
 * fold, decide, append: the write path of every controller, minus HTTP and the wait for the read
 * models), alternating between the two figures, one at a time. Figure: median ms per claim at
 * claim #10,000 on against claim #10 on; **target ratio ≤ 1.5**. The first claim on the long
 * figure folds its whole stream (a process that just started has nothing cached): reported beside.
 */

const TARGET_RATIO = 1.5;
const LONG = 10_000;
const SHORT = 10;

async function seed(store: SqliteEventStore, figure: string, claims: number): Promise<void> {
  const r = rng(13);
  const meta = { actor: 'bench', correlationId: randomUUID() };
  await handleCommand(store, figureDecider, { type: 'DefineFigure', ...figureDefined(r, 0), figureId: figure }, meta);
  for (let first = 0; first < claims; first += 1000) {
    const events: EventData[] = [];
    for (let i = first; i < Math.min(claims, first + 1000); i++) {
      events.push({ id: randomUUID(), type: 'ClaimAsserted', data: claimAsserted(r, figure, `c${i}`) as unknown as JsonObject, metadata: metadata(r) });
    }
    await store.appendToStream(figureStream(figure), events);
  }
}

async function trial(path: string, claims: number): Promise<{ long: number; short: number; firstLong: number }> {
  const store = new SqliteEventStore({ path, synchronous: 'normal' });
  await seed(store, 'long', LONG - 1);
  await seed(store, 'short', SHORT - 1);
  const r = rng(17);
  const write = async (figure: string, n: number) => {
    const command: FigureCommand = { type: 'AssertClaim', ...claimAsserted(r, figure, `new-${n}`) };
    const t = performance.now();
    await handleCommand(store, figureDecider, command, { actor: 'bench', correlationId: randomUUID() });
    return performance.now() - t;
  };
  const firstLong = await write('long', -1);
  await write('short', -1);
  const long: number[] = [];
  const short: number[] = [];
  for (let n = 0; n < claims; n++) {
    long.push(await write('long', n));
    short.push(await write('short', n));
  }
  await store.close();
  return { long: median(long), short: median(short), firstLong };
}

export async function figureWrites(mode: Mode): Promise<Row[]> {
  console.log('\n[1b] claim writes on a figure of 10,000 claims against one of 10 (handleCommand, temp file, synchronous NORMAL)');
  const dir = join(mode.tmp, 'figure-writes');
  mkdirSync(dir, { recursive: true });
  const runs = mode.quick ? 2 : 5;
  const claims = mode.quick ? 100 : 300;
  const results = [];
  for (let run = 0; run < runs; run++) {
    const path = join(dir, `events-${run}.db`);
    results.push(await trial(path, claims));
    removeDb(path);
  }
  const long = median(results.map((x) => x.long));
  const short = median(results.map((x) => x.short));
  const firstLong = median(results.map((x) => x.firstLong));
  return [
    row({
      section: '1b writes',
      figure: `claim #${LONG.toLocaleString('en-US')} of one figure (median ms per claim over ${claims})`,
      value: ms(long),
      reference: `claim #${SHORT} ${ms(short)}`,
      ratio: ratio(long / short),
      target: `ratio ≤ ${TARGET_RATIO}`,
      verdict: verdict(long / short <= TARGET_RATIO),
      data: { runs: results, claims },
    }),
    row({
      section: '1b writes',
      figure: `first claim on that figure after start (folds its ${LONG.toLocaleString('en-US')} events once)`,
      value: ms(firstLong),
      target: '',
      verdict: 'INFO',
      data: { runs: results.map((x) => x.firstLong) },
    }),
  ];
}
