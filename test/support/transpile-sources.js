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

/** What .test-build/ holds: each transpiled source's path (src/…) and the hash of the text it was transpiled from. */
const SOURCES = '.sources.json';

/** @param {string} text */
function contentHash(text) {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The transpiled output of `path` (a file of src/) when .test-build/ holds it for exactly `text`, else
 * undefined: Jest's transform (test/support/jest-transform.js) takes it instead of transpiling src/ again.
 * @param {string} text @param {string} path @param {Record<string, string> | undefined} sources .test-build/'s list, read once by the caller
 */
function transpiledOf(text, path, sources) {
  const rel = relative(root, path).split('\\').join('/');
  if (!sources || !rel.startsWith('src/') || !rel.endsWith('.ts') || sources[rel] !== contentHash(text)) return undefined;
  try {
    return readFileSync(join(OUT, rel.replace(/\.ts$/, '.js')), 'utf8');
  } catch {
    return undefined;
  }
}

/** .test-build/'s list of transpiled sources, or undefined when there is none. @returns {Record<string, string> | undefined} */
function transpiledSources() {
  try {
    return JSON.parse(readFileSync(join(OUT, SOURCES), 'utf8'));
  } catch {
    return undefined;
  }
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
  if (existsSync(stampFile) && existsSync(join(OUT, SOURCES)) && readFileSync(stampFile, 'utf8') === stamp) return join(OUT, 'src');
  // Built beside and swapped in, so that a run that stopped half-way leaves no half-built tree behind a stamp.
  const next = `${OUT}.${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  const options = compilerOptions();
  /** @type {Record<string, string>} */
  const transpiled = {};
  for (const file of files) {
    const rel = relative(root, file);
    const target = join(next, file.endsWith('.ts') ? rel.replace(/\.ts$/, '.js') : rel);
    mkdirSync(dirname(target), { recursive: true });
    if (!file.endsWith('.ts')) writeFileSync(target, readFileSync(file));
    else {
      const text = readFileSync(file, 'utf8');
      writeFileSync(target, ts.transpileModule(text, { compilerOptions: options, fileName: file }).outputText);
      transpiled[rel.split('\\').join('/')] = contentHash(text);
    }
  }
  writeFileSync(join(next, SOURCES), JSON.stringify(transpiled));
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

module.exports = { transpileSources, transpiledOf, transpiledSources, TRANSPILED_SOURCES: join(OUT, 'src') };
