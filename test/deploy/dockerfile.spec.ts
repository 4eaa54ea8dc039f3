import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanContext, inStage, parseDockerfile, replay, type StageState } from './dockerfile-replay';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, shared with `npm start`'s prestart
const { ensureBuild, builtFrom, sourceHash, DIST } = require('../../scripts/ensure-build') as {
  ensureBuild(): boolean;
  builtFrom(): string | undefined;
  sourceHash(dir: string): string;
  DIST: string;
};

const repo = join(__dirname, '..', '..');
const dockerfile = parseDockerfile(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
const engine = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;

/**
 * Measured on the 2-core CI host: `npm ci --offline` from the npm cache takes 6 min 45 s, nearly all
 * of it compiling better-sqlite3 (its prebuilt binary is a download). Everything else in the image
 * is built for real; the dependencies are the ones `npm ci` installed for this checkout.
 */
const NPM_CI_WHY = 'offline `npm ci` takes ~7 minutes here (better-sqlite3 compiles from source without its download); the tree is the one npm ci installed from the same package-lock.json';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function healthWithin(url: string, ms: number, child?: ChildProcess): Promise<number> {
  const deadline = Date.now() + ms;
  let last = 0;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the image's CMD exited ${child.exitCode} before /health answered`);
    try {
      last = (await fetch(url)).status;
      if (last === 200) return last;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return last;
}

describe('Dockerfile', () => {
  it('has a runtime stage that runs as a non-root user, with a HEALTHCHECK and a CMD', () => {
    const runtime = dockerfile[dockerfile.length - 1];
    const users = runtime.steps.filter((s) => s.instruction === 'USER').map((s) => s.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.steps.some((s) => s.instruction === 'HEALTHCHECK' && /\bCMD\b/.test(s.args))).toBe(true);
    expect(runtime.steps.some((s) => s.instruction === 'CMD')).toBe(true);
  });

  describe('replayed on a clean checkout (tracked files only), without a container engine', () => {
    let work: string;
    let runtime: StageState;
    let child: ChildProcess | undefined;
    const log: string[] = [];

    beforeAll(() => {
      // The one build of a test run (the docs' shell blocks and the production entry run it too): the
      // stage's `npm run build` is that build when the stage holds the same inputs (the tracked files the
      // Dockerfile copies), and builds for real when it does not (a file the build needs that git or the
      // Dockerfile lacks then fails here, as it would in `docker build`).
      ensureBuild();
      const from = builtFrom();
      work = mkdtempSync(join(tmpdir(), 'annals-dockerfile-'));
      const context = join(work, 'context');
      cleanContext(repo, context);
      const states = replay(dockerfile, {
        context,
        work,
        nodeModules: { path: realpathSync(join(repo, 'node_modules')), why: NPM_CI_WHY },
        prebuilt: from === undefined ? undefined : { dist: DIST, from, inputsOf: sourceHash },
        log: (line) => log.push(line),
      });
      runtime = [...states.values()].pop() as StageState;
      // Printed, not asserted: what the replay could not do as Docker would, and why.
      console.log(`Dockerfile replay in ${work}:\n${log.join('\n')}`);
    }, 600_000);

    afterAll(async () => {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child?.once('exit', resolve));
      }
      if (work) rmSync(work, { recursive: true, force: true });
    }, 30_000);

    it("starts the image's CMD on a loopback port with an empty data dir; /health answers 200 and the HEALTHCHECK passes", async () => {
      expect(runtime.cmd).toBeDefined();
      const port = await freePort();
      const data = join(work, 'data');
      // HOST: the image listens on 0.0.0.0 for a published port; here only loopback is reachable or wanted.
      const env = { PATH: process.env.PATH, ...runtime.env, PORT: String(port), HOST: '127.0.0.1', ANNALS_DATA_DIR: data, LOG_LEVEL: 'warn' };
      const [command, ...args] = runtime.cmd as string[];
      child = spawn(command === 'node' ? process.execPath : command, args, { cwd: inStage(runtime, runtime.workdir), env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
      const status = await healthWithin(`http://127.0.0.1:${port}/health`, 60_000, child);
      expect({ status, stderr: status === 200 ? '' : stderr }).toEqual({ status: 200, stderr: '' });

      const [check, ...checkArgs] = runtime.healthcheck as string[];
      const health = spawnSync(check === 'node' ? process.execPath : check, checkArgs, { env, encoding: 'utf8', timeout: 10_000 });
      expect(health.status).toBe(0);
    }, 90_000);
  });

  const withEngine = engine ? it : it.skip;
  if (!engine) console.log('Dockerfile: the real `docker build` was skipped: `docker info` fails (no container engine on this host); the replay above stands in for it');
  const realBuild = 'builds for real with a container engine, and the container answers /health on a loopback port';
  withEngine(engine ? realBuild : `${realBuild} (skipped: \`docker info\` fails: no container engine on this host; the replay of the Dockerfile's steps above stands in)`, async () => {
    const context = mkdtempSync(join(tmpdir(), 'annals-docker-context-'));
    const tag = `annals-ci:${process.pid}`;
    let container = '';
    try {
      cleanContext(repo, context);
      const build = spawnSync('docker', ['build', '-t', tag, context], { encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024 });
      expect({ status: build.status, stderr: build.status === 0 ? '' : build.stderr }).toEqual({ status: 0, stderr: '' });
      const run = spawnSync('docker', ['run', '-d', '-p', '127.0.0.1::3000', '-e', 'ANNALS_ALLOW_OPEN_WRITES=true', tag], { encoding: 'utf8' });
      container = run.stdout.trim();
      const mapped = spawnSync('docker', ['port', container, '3000/tcp'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
      const port = mapped.split(':').pop();
      expect(await healthWithin(`http://127.0.0.1:${port}/health`, 120_000)).toBe(200);
    } finally {
      if (container) spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
      spawnSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
      rmSync(context, { recursive: true, force: true });
    }
  }, 1_000_000);
});
