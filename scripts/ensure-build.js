// @ts-check
/**
 * `npm start`'s prestart: runs `npm run build` only when dist/ was not built from the sources as
 * they are now, so that a restart does not wait for a compile (a build takes 15-60 s, a restart 2 s).
 * "As they are now" is a hash of the content of every input, not mtimes: a checkout, a copy or an
 * edit undone all land on the right answer. The stamp is the hash taken before the build, so an edit
 * made while it runs is built next time. `node scripts/ensure-build.js --check` only says.
 */
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const STAMP = join(root, 'dist', '.build-stamp');
const INPUT_DIRS = ['src', 'scripts'];
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json'];
/** Written by the build itself (build:ui), from src/ui/client, which is hashed. */
const GENERATED = 'src/ui/public/';

/** @param {string} dir @returns {string[]} */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

/** The hash of every input's path and content, in a stable order. */
function sourceHash() {
  const files = [...INPUT_DIRS.flatMap((dir) => filesUnder(join(root, dir))), ...INPUT_FILES.map((file) => join(root, file)).filter((file) => existsSync(file))]
    .map((file) => relative(root, file).split('\\').join('/'))
    .filter((file) => !file.startsWith(GENERATED))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0${statSync(join(root, file)).size}\0`).update(readFileSync(join(root, file)));
  return hash.digest('hex');
}

/** True when dist/ holds a complete build of the inputs as they are now. */
function isFresh(hash = sourceHash()) {
  return existsSync(STAMP) && existsSync(join(root, 'dist', 'main.js')) && readFileSync(STAMP, 'utf8').trim() === hash;
}

/** Builds unless fresh; answers whether it built. Throws when the build fails. */
function ensureBuild() {
  const hash = sourceHash();
  if (isFresh(hash)) return false;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`npm run build failed (${build.status ?? build.signal})`);
  writeFileSync(STAMP, `${hash}\n`);
  return true;
}

module.exports = { ensureBuild, isFresh, sourceHash };

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const fresh = isFresh();
    console.log(fresh ? 'dist/ is up to date with the sources' : 'dist/ is stale: npm start will rebuild it');
    process.exitCode = fresh ? 0 : 1;
  } else {
    try {
      if (!ensureBuild()) console.log('dist/ is up to date with the sources: not rebuilding');
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    }
  }
}
