import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type ServiceProcess } from '../support/service-process';
import { eventually, Receiver } from '../support/watches';
import { docPages, shellBlocks, type ShellBlock } from './shell-blocks';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, shared with `npm start`'s prestart
const { ensureBuild } = require('../../scripts/ensure-build') as { ensureBuild(): boolean };

const ROOT = join(__dirname, '../..');
const PAGES_AT_ONCE = 3;

/**
 * Every shell block of the README and of docs/ runs here, page by page in the order a reader meets
 * them, against a fresh service built as `npm start` builds it (demo data loaded), so an example that
 * drifted from the code fails CI. A block that cannot run here says why in a `<!-- not run: … -->`
 * comment just above it, and the reason is printed. curl fails on any 4xx/5xx unless the command
 * asks for the status itself (`-w`), and a streaming `curl -N` is cut after two seconds. A `console` block is a
 * transcript: its `$ ` commands run, each expected to exit 0 or as a `[exit N]` line under it says.
 */
const PRELUDE = String.raw`
set -euo pipefail
annals() { node "$ANNALS_ROOT/dist/cli/annals.js" "$@"; }
curl() {
  local stream=0 own_status=0 arg
  for arg in "$@"; do
    case "$arg" in -N|-sN|-Ns|--no-buffer) stream=1 ;; -w|--write-out) own_status=1 ;; esac
  done
  if [ "$stream" = 1 ]; then
    command curl --max-time 2 "$@" || { local code=$?; [ "$code" = 28 ] || return "$code"; }
  elif [ "$own_status" = 1 ]; then
    command curl --max-time 30 "$@"
  else
    command curl --max-time 30 --fail-with-body "$@"
  fi
}
`;

/** What a page's blocks run as: one bash script, so a variable set in one block is there in the next. */
function pageScript(blocks: readonly ShellBlock[], port: number, webhooks: string): string {
  const body = blocks
    .map((block) => {
      // The docs' webhook address is a stand-in: notices go to a receiver on loopback, never to another host.
      const code = block.code.replace(/localhost:3000/g, `127.0.0.1:${port}`).replace(/https:\/\/desk\.example\.org/g, webhooks);
      return `echo "::: ${block.file}:${block.line}" >&2\n${code}\necho >&2`;
    })
    .join('\n');
  return `${PRELUDE}\n${body}\n`;
}

function runBash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the shell blocks of the README and docs/', () => {
  const pages = docPages(ROOT);
  const blocks = pages.flatMap((page) => shellBlocks(page, readFileSync(join(ROOT, page), 'utf8')));
  const notRun = blocks.filter((block) => block.notRun);
  const torun = pages.map((page) => ({ page, blocks: blocks.filter((b) => b.file === page && !b.notRun) })).filter((p) => p.blocks.length > 0);

  beforeAll(() => {
    ensureBuild();
    console.log(
      `docs: ${blocks.length - notRun.length} shell blocks run from ${torun.length} pages; ${notRun.length} not run:\n` +
        notRun.map((b) => `  ${b.file}:${b.line}: ${b.notRun}`).join('\n'),
    );
  }, 600_000);

  it('finds the pages and their blocks', () => {
    expect(pages).toContain('README.md');
    expect(blocks.length).toBeGreaterThan(5);
    // A block left out must say why: an empty reason would let examples drift unseen.
    for (const block of notRun) expect(block.notRun.trim().length).toBeGreaterThan(8);
  });

  /** One page against its own fresh service; resolves to the failure, so a page that fails leaves the others running. */
  async function runPage(page: string, pageBlocks: readonly ShellBlock[]): Promise<Error | undefined> {
    const dataDir = mkdtempSync(join(tmpdir(), 'annals-docs-'));
    const work = mkdtempSync(join(tmpdir(), 'annals-docs-work-'));
    // Where the docs' command-line examples stand: a data directory `data` beside the demo file, as in a checkout.
    mkdirSync(join(work, 'data'));
    copyFileSync(join(ROOT, 'data/demo.json'), join(work, 'data/demo.json'));
    let service: ServiceProcess | undefined;
    const receiver = await new Receiver().start();
    try {
      service = await startService(dataDir, { ANNALS_DEMO_DATA: 'true', ANNALS_SQLITE_SYNCHRONOUS: 'normal', ANNALS_WEBHOOK_ALLOW_PRIVATE: 'true' }, 'built');
      const port = Number(new URL(service.base).port);
      const env = { ...process.env, ANNALS_ROOT: ROOT, ANNALS_DATA_DIR: dataDir, LOG_LEVEL: 'silent', HOME: work };
      const { code, output } = await runBash(pageScript(pageBlocks, port, receiver.url.replace(/\/hook$/, '')), work, env);
      if (code !== 0) {
        return new Error(`${page}: a block failed (exit ${code}); the last block started is the last ::: line:\n${output.slice(-6000)}`);
      }
      // A page that shows webhooks shows them delivered: the receiver stands where the docs say desk.example.org.
      if (pageBlocks.some((block) => block.code.includes('desk.example.org'))) await eventually(() => (receiver.received.length > 0 ? true : undefined), 'a webhook delivery to the receiver');
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
      await service?.exited;
      await receiver.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  }

  // Pages start together, PAGES_AT_ONCE at a time, each on its own fresh service, data directory and
  // home: most of a page's time is waiting (the service booting with the demo data, streams cut at two
  // seconds, a webhook delivery), which other pages fill. Each page is still reported as its own test.
  const runs = new Map<string, Promise<Error | undefined>>();
  let slots = PAGES_AT_ONCE;
  const waiting: (() => void)[] = [];
  const slot = async () => {
    if (slots > 0) slots--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  };
  beforeAll(() => {
    for (const { page, blocks: pageBlocks } of torun) {
      runs.set(
        page,
        slot().then(() => runPage(page, pageBlocks).finally(release)),
      );
    }
  });

  it.each(torun.map((p) => [p.page] as const))('%s: every block runs against a fresh service', async (page) => {
    const failure = await runs.get(page);
    if (failure) throw failure;
  }, 400_000);
});
