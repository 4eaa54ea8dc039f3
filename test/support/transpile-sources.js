// @ts-check
/**
 * The sources (src/) transpiled once per change into .test-build/, for the tests that start the service or
 * the CLI as a child process: `node -r ts-node/register/transpile-only` did the same transpiling
 * (TypeScript's transpileModule, no type check) in every child, seconds of CPU for each start. The
 * output keeps the layout (.test-build/src/…), with data/ and the built page linked beside it, so that
 * paths taken from __dirname land where they do in a checkout. Rebuilt when any source changes.
 */
const ts = require('typescript');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const root = join(__dirname, '..', '..');
const OUT = join(root, '.test-build');
/** The page's browser code is bundled by build-ui; its output is linked, not transpiled. */
const SKIPPED = ['src/ui/client/', 'src/ui/public/'];

/** @param {string} dir @returns {string[]} */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    const rel = relative(root, path).split('\\').join('/');
    if (SKIPPED.some((skip) => `${rel}/`.startsWith(skip))) return [];
    return entry.isDirectory() ? sources(path) : entry.isFile() ? [path] : [];
  });
}

function compilerOptions() {
  const file = join(root, 'tsconfig.json');
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(file, ts.sys.readFile).config, ts.sys, root);
  return { ...parsed.options, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, sourceMap: false, inlineSourceMap: true, inlineSources: false, declaration: false, noEmit: false };
}

/** Transpiles src/ into .test-build/ unless it already holds these sources; returns the entry folder (.test-build/src). */
function transpileSources() {
  const files = sources(join(root, 'src')).sort();
  const hash = createHash('sha256').update(ts.version).update(readFileSync(join(root, 'tsconfig.json')));
  for (const file of files) hash.update(`${relative(root, file)}\0`).update(readFileSync(file));
  const stamp = hash.digest('hex');
  const stampFile = join(OUT, '.stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return join(OUT, 'src');
  // Built beside and swapped in, so that a run that stopped half-way leaves no half-built tree behind a stamp.
  const next = `${OUT}.${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  const options = compilerOptions();
  for (const file of files) {
    const rel = relative(root, file);
    const target = join(next, file.endsWith('.ts') ? rel.replace(/\.ts$/, '.js') : rel);
    mkdirSync(dirname(target), { recursive: true });
    if (!file.endsWith('.ts')) writeFileSync(target, readFileSync(file));
    else writeFileSync(target, ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file }).outputText);
  }
  symlinkSync(join(root, 'data'), join(next, 'data'), 'dir');
  mkdirSync(join(next, 'src', 'ui'), { recursive: true });
  symlinkSync(join(root, 'src', 'ui', 'public'), join(next, 'src', 'ui', 'public'), 'dir');
  writeFileSync(join(next, '.stamp'), stamp);
  rmSync(OUT, { recursive: true, force: true });
  try {
    renameSync(next, OUT);
  } catch (error) {
    // Another run in this checkout swapped in its own build first: keep it if it is of these sources.
    rmSync(next, { recursive: true, force: true });
    if (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) throw error;
  }
  return join(OUT, 'src');
}

module.exports = { transpileSources, TRANSPILED_SOURCES: join(OUT, 'src') };
