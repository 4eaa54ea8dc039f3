import type { INestApplicationContext } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Importer } from '../import/importer';
import { readRecords } from '../import/read-records';

/** The demo file: the same bodies a client would POST. */
export interface DemoData {
  readonly facts: readonly Record<string, unknown>[];
  readonly figures: readonly (Record<string, unknown> & { id: string; claims?: readonly Record<string, unknown>[] })[];
}

export const DEMO_DATA_FILE = join(__dirname, '..', '..', 'data', 'demo.json');
export const DEMO_ACTOR = 'annals-demo-import';

export class DemoImportError extends Error {}

/**
 * Imports the demo data as any JSON import is: through the core's importer, so the API's DTO
 * validation, decide, append and the projection wait, the rules any client obeys. A re-run finds
 * every record unchanged and writes nothing. Returns the number of records.
 */
export async function importDemoData(app: INestApplicationContext, file = DEMO_DATA_FILE): Promise<number> {
  const { records, unreadable } = readRecords(readFileSync(file, 'utf8'), 'json');
  const summary = await app.get(Importer).run(records, { actor: DEMO_ACTOR }, unreadable);
  if (summary.rejected > 0) {
    const first = summary.rejections[0];
    throw new DemoImportError(`demo import failed at ${first.at} (${first.id}): ${first.field}: ${first.reason}`);
  }
  return records.length;
}
