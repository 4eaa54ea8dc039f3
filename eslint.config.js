// @ts-check
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const tseslint = require('typescript-eslint');

/** The clock and randomness arrive in commands: pure code never reads them itself. */
const impure = [
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'pure code takes time from its input, never new Date()' },
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'pure code takes time from its input, never Date.now()' },
  { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'pure code takes no randomness' },
  { selector: "CallExpression[callee.name='randomUUID']", message: 'ids arrive in the command' },
];
/** Every other folder and root file of src/, as import patterns. */
const outsideDomain = readdirSync(join(__dirname, 'src'), { withFileTypes: true })
  .filter((e) => e.name !== 'domain' && (e.isDirectory() || e.name.endsWith('.ts')))
  .flatMap((e) => (e.isDirectory() ? [`**/${e.name}/**`] : [`**/${e.name.replace(/\.ts$/, '')}`]));
/**
 * Which folder imports which driver, and the domain's imports, are dependency-cruiser's rules
 * (.dependency-cruiser.cjs, in `npm run lint`), which see subpaths such as
 * `@eventstore/db-client/generated/*`. These lists are the same refusals, seen earlier in an editor.
 */
const driverNames = ['better-sqlite3', '@eventstore/db-client', 'pg'];
const drivers = (except) => driverNames.filter((d) => d !== except).map((name) => ({ name, message: 'only adapter code imports a driver' }));
const driverFiles = (except) => driverNames.filter((d) => d !== except).map((name) => ({ group: [`${name}/*`], message: 'only adapter code imports a driver' }));

module.exports = tseslint.config(
  { ignores: ['dist/**', '.test-build/**', 'node_modules/**', 'coverage/**', 'src/ui/public/**', 'bench/results*.json'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...impure],
      'no-restricted-imports': [
        'error',
        {
          paths: [...drivers(), { name: 'node:crypto', message: 'ids arrive in the command' }, { name: 'fastify', message: 'the domain knows no HTTP' }],
          patterns: [
            ...driverFiles(),
            { group: ['node:*'], message: 'the domain uses no Node built-in' },
            { group: ['@nestjs/*'], message: 'the domain is plain TypeScript' },
            { group: outsideDomain, message: 'the domain depends on nothing outside it' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/projections/**/*.projection.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...impure],
      'no-restricted-imports': ['error', { paths: drivers('better-sqlite3'), patterns: [...driverFiles('better-sqlite3'), { group: ['@nestjs/*'], message: 'projections are plain code' }] }],
    },
  },
  {
    // The first run of any AsyncLocalStorage turns on V8's promise hooks for the whole process, for good: every
    // promise of every later request then pays for carrying its scope (docs/performance.md, "The HTTP path inside
    // Nest"). Per-request state travels explicitly (e.g. src/api/positions/written-position.ts).
    files: ['src/**/*.ts'],
    ignores: ['src/domain/**', 'src/projections/**', 'src/ui/client/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['node:async_hooks', 'async_hooks'].map((name) => ({
            name,
            importNames: ['AsyncLocalStorage'],
            message: 'it turns on promise hooks for every request: pass per-request state explicitly',
          })),
        },
      ],
    },
  },
  { files: ['**/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    // The page's browser code (bundled by scripts/build-ui.js): its globals are the browser's, which its own
    // tsconfig (src/ui/client/tsconfig.json, DOM lib) checks; nothing of Node or of the server reaches it.
    files: ['src/ui/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: drivers(), patterns: [{ group: ['node:*', '@nestjs/*', '../*'], message: 'the page runs in a browser and talks to the server only through its HTTP API' }] },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'no Node in the browser' }, { name: 'require', message: 'ES modules only' }],
    },
  },
);
