import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * The rules in .dependency-cruiser.cjs, run by `npm run lint` on src and bench, run here against a
 * small tree that breaks each of them once and keeps each allowance once: a rule that stops
 * matching (a renamed folder, a regex that no longer reaches `generated/*`) fails this test rather
 * than letting the lint step pass everything.
 */
const ROOT = resolve(__dirname, '../..');

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

function cruise(files: Record<string, string>): Violation[] {
  const dir = mkdtempSync(join(tmpdir(), 'annals-architecture-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true } }));
    // The real packages, so `@eventstore/db-client/generated/…` resolves into node_modules as it does in src.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'],
      { cwd: dir, encoding: 'utf8' },
    );
    if (!run.stdout) throw new Error(`depcruise printed nothing (exit ${run.status}): ${run.stderr}`);
    return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** node_modules is a symlink here, so a package resolves wherever the shared install lives. */
const refusals = (violations: Violation[]) => violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*\/node_modules\//, 'node_modules/')}`).sort();

describe('the architecture rules (.dependency-cruiser.cjs)', () => {
  it('refuses two folders that import each other, even when no file imports itself back', () => {
    const violations = cruise({
      'src/alpha/a.ts': "import { b } from '../beta/b';\nexport const a = b + 1;\n",
      'src/alpha/base.ts': 'export const base = 1;\n',
      'src/beta/b.ts': "import { base } from '../alpha/base';\nexport const b = base;\n",
    });
    expect(violations.filter((v) => v.rule.name === 'no-file-cycles')).toEqual([]);
    expect(violations.filter((v) => v.rule.name === 'no-folder-cycles').map((v) => v.from).sort()).toEqual(['src/alpha', 'src/beta']);
  });

  it('refuses a file cycle', () => {
    const violations = cruise({
      'src/alpha/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'src/alpha/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
    });
    // One cycle, reported once, from whichever of its files the cruise met first.
    const cycles = violations.filter((v) => v.rule.name === 'no-file-cycles');
    expect(cycles).toHaveLength(1);
    expect([cycles[0].from, cycles[0].to].sort()).toEqual(['src/alpha/a.ts', 'src/alpha/b.ts']);
  });

  it('keeps each driver, generated files included, inside its declared folders and the domain pure', () => {
    const violations = cruise({
      // Allowed: the adapter and the gRPC endpoint, the Postgres adapter, the SQLite store and projections.
      'src/event-store/eventstoredb/adapter.ts': "import '@eventstore/db-client';\nimport '@eventstore/db-client/generated/shared_pb';\n",
      'src/grpc/server.ts': "import '@eventstore/db-client/generated/streams_pb';\n",
      'src/event-store/postgres/adapter.ts': "import 'pg';\n",
      'src/event-store/sqlite/adapter.ts': "import 'better-sqlite3';\n",
      'src/projections/runner.ts': "import type Database from 'better-sqlite3';\nexport type Db = Database.Database;\n",
      'src/domain/fact.ts': "import { Map } from 'immutable';\nimport { other } from './other';\nexport const m = Map({ other });\n",
      'src/domain/other.ts': 'export const other = 1;\n',
      // Refused.
      'src/api/generated.ts': "import { UUID } from '@eventstore/db-client/generated/shared_pb';\nexport const u = UUID;\n",
      'src/event-store/sqlite/pg.ts': "import 'pg';\n",
      'src/api/sqlite.ts': "import type Database from 'better-sqlite3';\nexport type Db = Database.Database;\n",
      'src/domain/ids.ts': "import { randomUUID } from 'node:crypto';\nexport const id = randomUUID;\n",
      'src/domain/store.ts': "import { other } from '../event-store/postgres/adapter';\nexport const s = other;\n",
    });
    expect(refusals(violations)).toEqual(
      [
        'driver-better-sqlite3-confined: src/api/sqlite.ts → node_modules/better-sqlite3/lib/index.js',
        'driver-eventstore-db-client-confined: src/api/generated.ts → node_modules/@eventstore/db-client/generated/shared_pb.js',
        'driver-pg-confined: src/event-store/sqlite/pg.ts → node_modules/pg/lib/index.js',
        // depcruise names Node's built-ins without the node: prefix.
        'domain-is-pure: src/domain/ids.ts → crypto',
        'domain-is-pure: src/domain/store.ts → src/event-store/postgres/adapter.ts',
      ].sort(),
    );
  });

  it('keeps config a leaf and the CLI an entry point', () => {
    const violations = cruise({
      'src/config.ts': "import { x } from './event-store/x';\nexport const config = x;\n",
      'src/event-store/x.ts': 'export const x = 1;\n',
      'src/auth/keys.ts': "import { EXIT } from '../cli/exit-codes';\nexport const k = EXIT;\n",
      'src/cli/exit-codes.ts': 'export const EXIT = 1;\n',
      'src/watches/w.ts': "import { server } from '../server';\nexport const w = server;\n",
      'src/server.ts': 'export const server = 1;\n',
    });
    expect(refusals(violations)).toEqual(
      [
        'cli-is-an-entry-point: src/auth/keys.ts → src/cli/exit-codes.ts',
        'composition-root-on-top: src/watches/w.ts → src/server.ts',
        'config-is-a-leaf: src/config.ts → src/event-store/x.ts',
      ].sort(),
    );
  });
});
