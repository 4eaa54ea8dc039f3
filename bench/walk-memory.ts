/**
 * The start's integrity walk alone over a copy of a kept SQLite log, as a first start does it
 * (verifyLog over readLog, then the digest of the rows for the verified-prefix note), with the
 * process's memory sampled: where issue 24 item 4's peak RSS at 1M comes from.
 *
 *   npx ts-node --transpile-only bench/walk-memory.ts path/to/copy/events.db
 *
 * Prints the peak VmHWM, the highest heap total and heap in use seen, and the walk's CPU time.
 * ts-node and the compiler add their own ~100 MB to RSS: compare runs of this script with each other.
 */
import { readFileSync } from 'node:fs';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store';
import { readLog } from '../src/integrity/read-log';
import { RowDigest } from '../src/integrity/start-check';
import { verifyLog, describeReport } from '../src/integrity/verify-log';

function vm(field: string): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const path = process.argv[2];
  if (!path) throw new Error('usage: walk-memory.ts path/to/events.db');
  const store = new SqliteEventStore({ path });
  const baseline = vm('VmRSS');
  let heapTotal = 0;
  let heapUsed = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heapTotal = Math.max(heapTotal, m.heapTotal);
    heapUsed = Math.max(heapUsed, m.heapUsed);
  };
  const timer = setInterval(sample, 100);
  const cpu = process.cpuUsage();
  const started = Date.now();
  let end: Parameters<NonNullable<Parameters<typeof verifyLog>[1]>['end'] & object>[0] | undefined;
  let events = 0;
  async function* counted() {
    for await (const e of readLog(store)) {
      if (++events % 1000 === 0) sample();
      yield e;
    }
  }
  const report = await verifyLog(counted(), { contiguousPositions: true, end: (e) => (end = e) });
  sample();
  const afterWalk = vm('VmHWM');
  const digest = new RowDigest(store);
  await digest.extendTo(end?.last?.position ?? -1n);
  sample();
  clearInterval(timer);
  const used = process.cpuUsage(cpu);
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  console.log(describeReport(report).slice(0, 160));
  console.log(
    `events ${events}; RSS before walk ${baseline.toFixed(0)} MiB; VmHWM after walk ${afterWalk.toFixed(0)} MiB, after digest ${vm('VmHWM').toFixed(0)} MiB; ` +
      `max heapTotal ${mb(heapTotal)}, max heapUsed ${mb(heapUsed)}; CPU ${((used.user + used.system) / 1e6).toFixed(1)} s; wall ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  store.close();
}

void main();
