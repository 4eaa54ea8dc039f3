import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under `dir` whose bytes hold `needle` (case-insensitive), free pages and journals included. */
export function filesHolding(dir: string, needle: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (readFileSync(path).toString('latin1').toLowerCase().includes(needle.toLowerCase())) found.push(path);
  }
  return found;
}
