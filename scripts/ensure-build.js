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
const { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
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

/**
 * The hash of every input's path and content, in a stable order: of this checkout, or of another tree
 * laid out as one (the Dockerfile's build stage, test/deploy/dockerfile-replay.ts, compares it with the stamp).
 */
function sourceHash(from = root) {
  const files = [...INPUT_DIRS.flatMap((dir) => filesUnder(join(from, dir))), ...INPUT_FILES.map((file) => join(from, file)).filter((file) => existsSync(file))]
    .map((file) => relative(from, file).split('\\').join('/'))
    .filter((file) => !file.startsWith(GENERATED))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0${statSync(join(from, file)).size}\0`).update(readFileSync(join(from, file)));
  return hash.digest('hex');
}

/** The hash dist/ was built from, when it holds a complete build. */
function builtFrom() {
  return existsSync(STAMP) && existsSync(join(root, 'dist', 'main.js')) ? readFileSync(STAMP, 'utf8').trim() : undefined;
}

/** True when dist/ holds a complete build of the inputs as they are now. */
function isFresh(hash = sourceHash()) {
  return builtFrom() === hash;
}

/**
 * One build at a time per checkout, across processes (test suites in parallel workers, a second
 * `npm start`): a directory made atomically, holding its maker's pid; one whose maker is gone is taken over.
 */
const LOCK = join(tmpdir(), `annals-build-${createHash('sha256').update(root).digest('hex').slice(0, 16)}.lock`);

function withLock(work) {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {
        // just made, its pid not written yet (or its maker died in between: then it is old)
      }
      const orphan = Number.isNaN(holder) && Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 10_000;
      if (orphan || (Number.isInteger(holder) && holder > 0 && !alive(holder))) rmSync(LOCK, { recursive: true, force: true });
      else Atomics.wait(pause, 0, 0, 250);
    }
  }
  try {
    return work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Builds unless fresh (waiting for a build of this checkout under way elsewhere); answers whether it built. Throws when the build fails. */
function ensureBuild() {
  return withLock(() => {
    const hash = sourceHash();
    if (isFresh(hash)) return false;
    // A build stopped half-way must not leave the last build's stamp beside its output.
    rmSync(STAMP, { force: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error(`npm run build failed (${build.status ?? build.signal})`);
    writeFileSync(STAMP, `${hash}\n`);
    return true;
  });
}

module.exports = { ensureBuild, isFresh, sourceHash, builtFrom, DIST: join(root, 'dist') };

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
