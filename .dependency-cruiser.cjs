// @ts-check
/**
 * The folder graph, enforced in `npm run lint` (docs/architecture.md draws it).
 * test/unit/architecture.spec.ts runs these rules against fixtures that break them, so a rule
 * that stops matching fails a test instead of passing everything.
 */

/** Where each driver may be imported; everything else talks to the ports. */
const DRIVERS = {
  '@eventstore/db-client': ['src/event-store/eventstoredb/', 'src/grpc/'],
  pg: ['src/event-store/postgres/'],
  // Measured: the SQLite store, the projections and their read-model files, and the watches' own file.
  'better-sqlite3': ['src/event-store/sqlite/', 'src/projections/', 'src/watches/watch-store.ts', 'src/erasure/subject-key-store.ts'],
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** The package itself and any file inside it (`generated/*` included), resolved or not. */
const packagePath = (name) => `(^|/)node_modules/${escape(name)}/|^${escape(name)}($|/)`;
const under = (prefixes) => `^(${prefixes.map(escape).join('|')})`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'Two folders never import each other, directly or around a loop: move the shared part to its one home.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(src|bench)/' },
      to: { circular: true },
    },
    {
      name: 'no-file-cycles',
      comment: 'No file imports one that imports it back.',
      severity: 'error',
      from: { path: '^(src|bench)/' },
      to: { circular: true },
    },
    {
      // Root files are not a folder, so the folder rule cannot see a loop through them: config and
      // logging import nothing above them, the composition root is imported by nothing below it.
      name: 'config-is-a-leaf',
      severity: 'error',
      from: { path: '^src/(config|logging)\\.ts$' },
      to: { path: '^src/', pathNot: '^src/config\\.ts$' },
    },
    {
      name: 'composition-root-on-top',
      comment: 'app.module, configure-app, http-app, server and main assemble the folders; no folder but the CLI reaches back up.',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: '^src/cli/' },
      to: { path: '^src/(app\\.module|configure-app|http-app|server|main)\\.ts$' },
    },
    {
      name: 'cli-is-an-entry-point',
      comment: 'The CLI drives the service; nothing in src imports it (its commands live in src/cli/commands).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    ...Object.entries(DRIVERS).map(([name, allowed]) => ({
      name: `driver-${name.replace(/[@/]/g, '-').replace(/^-/, '')}-confined`,
      comment: `${name} is imported only in ${allowed.join(', ')}`,
      severity: /** @type {const} */ ('error'),
      from: { path: '^src/', pathNot: under(allowed) },
      to: { path: packagePath(name) },
    })),
    {
      name: 'domain-is-pure',
      comment:
        'src/domain imports only src/domain and the immutable package (persistent data, no I/O): no framework, driver, node built-in (so no node:crypto) or other folder. ESLint (eslint.config.js) refuses the clock and randomness in its syntax.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: `^src/domain/|${packagePath('immutable')}` },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/ui/public/' },
  },
};
