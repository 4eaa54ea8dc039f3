import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * A `*.cases.ts` runs only when a group file requires it (docs/testing.md, "Grouped suites"): Jest finds
 * `*.spec.ts` alone. A case file that no group names would pass by never running, and one named twice
 * would run twice; this holds every case file to exactly one group.
 */
const TEST = resolve(__dirname, '..');

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

it('every *.cases.ts is required by exactly one group file, and every required one exists', () => {
  const required = new Map<string, string[]>();
  for (const group of filesUnder(TEST, '.group.spec.ts')) {
    for (const match of readFileSync(group, 'utf8').matchAll(/require\('(\.[^']+\.cases)'\)/g)) {
      const target = resolve(dirname(group), `${match[1]}.ts`);
      required.set(target, [...(required.get(target) ?? []), relative(TEST, group)]);
    }
  }
  const cases = filesUnder(TEST, '.cases.ts');
  expect(cases.length).toBeGreaterThan(100);
  const unrun = cases.filter((file) => !required.has(file)).map((file) => relative(TEST, file));
  const twice = [...required].filter(([, groups]) => groups.length > 1).map(([file]) => relative(TEST, file));
  const missing = [...required.keys()].filter((file) => !cases.includes(file)).map((file) => relative(TEST, file));
  expect({ unrun, twice, missing }).toEqual({ unrun: [], twice: [], missing: [] });
});
