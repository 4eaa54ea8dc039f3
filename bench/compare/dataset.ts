import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { rebuildReadModels } from '../rebuild';
import { generateLog } from '../support/data';

/**
 * The bench's generated log of `size` events and its read models, in `dir` (kept): the data for
 * bench/compare/as-of.ts and writes.ts.
 *
 *   npx ts-node --transpile-only bench/compare/dataset.ts <dir> [size, default 10000]
 */
async function main(): Promise<void> {
  const [dir, size = '10000'] = process.argv.slice(2);
  mkdirSync(dir, { recursive: true });
  await generateLog(join(dir, 'events.db'), [Number(size)], () => undefined);
  const rebuilt = await rebuildReadModels(join(dir, 'events.db'), join(dir, 'read-models.db'));
  console.log(`${dir}: ${size} events, read models rebuilt at ${Math.round(rebuilt.eventsPerSecond)} events/s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
