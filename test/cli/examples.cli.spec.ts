import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { annals } from './run-cli';
import { TRANSPILED_SOURCES } from '../support/service-process';
import { freePort, openSandbox, type Sandbox } from './sandbox';

/**
 * Every `Examples:` line of every command's help, run as written against the demo data, in the
 * order the help lists them: the words are expanded by a real shell (quotes, $KEY, $(date +%F)),
 * `&&` and `> file` are honoured. Only the places are swapped for the sandbox's: /var/lib/annals*,
 * /backups, http://localhost:3000 (a server on a loopback port), a webhook host (a loopback port
 * where nothing listens: no traffic leaves the machine), port 8080.
 */

/** The command paths of the whole program (`export claims`, `keys create`…), from `annals --help` down. */
async function commandPaths(prefix: string[] = []): Promise<string[][]> {
  const help = (await annals([...prefix, '--help'], {}, 'all')).stdout;
  if (!help.startsWith(`Usage: annals ${prefix.map((p) => `${p} `).join('')}`)) throw new Error(`annals ${prefix.join(' ')} --help printed another command's help`);
  // The section ends at its blank line: the exit codes below it are not commands.
  const section = help.split(/\nCommands:\n/)[1]?.split('\n\n')[0];
  if (!section) return [prefix];
  const names = section
    .split('\n')
    .map((line) => /^ {2}(\S+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
  const below = await Promise.all(names.map((name) => commandPaths([...prefix, name])));
  return [...(prefix.length > 0 ? [prefix] : []), ...below.flat()];
}

/** The lines under "Example:" / "Examples:" in a help text, comments dropped. */
export function examplesIn(help: string): string[] {
  const found: string[] = [];
  let inside = false;
  for (const line of help.split('\n')) {
    if (/^Examples?:\s*$/.test(line)) inside = true;
    else if (inside && /^ {2}annals /.test(line)) found.push(line.trim().replace(/\s+#.*$/, ''));
    else inside = false;
  }
  return found;
}

function localise(line: string, sandbox: Sandbox, port: number): string {
  return line
    .replaceAll('/var/lib/annals-new', join(sandbox.dir, 'annals-new'))
    .replaceAll('/var/lib/annals', join(sandbox.dir, 'annals'))
    .replaceAll('/backups/', `${join(sandbox.dir, 'backups')}/`)
    .replaceAll('http://localhost:3000', sandbox.url)
    .replaceAll('https://desk.example.org', 'http://127.0.0.1:9')
    .replaceAll('--port 8080', `--port ${port}`);
}

/** The argv a POSIX shell gives the command: quotes, variables and $(…) expanded. */
function shellWords(words: string, env: Record<string, string>): string[] {
  const expanded = spawnSync('sh', ['-c', `printf '%s\\0' ${words}`], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  if (expanded.status !== 0) throw new Error(`sh could not expand ${words}: ${expanded.stderr}`);
  return expanded.stdout.split('\0').slice(0, -1);
}

/** `serve` keeps running: started as the installed command would be, checked at /health, then stopped. */
async function serve(args: string[], cwd: string, port: number): Promise<string> {
  const child = spawn(process.execPath, [join(TRANSPILED_SOURCES, 'cli/annals.js'), ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), LOG_LEVEL: 'warn', },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  try {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return 'answered /health';
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return `no /health answer (exit ${child.exitCode}): ${stderr}`;
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
}

describe('the examples in every command’s help', () => {
  let sandbox: Sandbox;
  const examples: { command: string; line: string }[] = [];
  const cwd = process.cwd();

  beforeAll(async () => {
    sandbox = await openSandbox();
    for (const path of await commandPaths()) {
      const help = (await annals([...path, '--help'], {}, 'all')).stdout;
      for (const line of examplesIn(help)) examples.push({ command: path.join(' '), line });
    }
    // Relative paths in the examples (.annals, claims.csv, --out timeline.json) are the working directory's.
    process.chdir(sandbox.dir);
  }, 120_000);
  afterAll(async () => {
    process.chdir(cwd);
    await sandbox?.close();
  });

  it('are there for the commands a newcomer starts with', () => {
    const commands = new Set(examples.map((e) => e.command));
    for (const command of ['serve', 'status', 'import', 'export claims', 'export timeline', 'export log', 'backup', 'restore', 'rebuild', 'keys create', 'keys revoke', 'verify', 'watches create']) {
      expect({ command, has: commands.has(command) }).toEqual({ command, has: true });
    }
  });

  it('each runs as written and exits 0', async () => {
    // $EVENT (withhold's examples): a fact's event with the texts they name, in the store the example talks to.
    const factEvent = async (store: string[]) => {
      const log = (await annals([...store, '--key', sandbox.keys.admin, 'export', 'log'])).stdout.trim().split('\n').map((line) => JSON.parse(line));
      return log.find((e) => e.type === 'FactRecorded' && typeof e.data.summary === 'string' && typeof e.data.sources?.[0]?.quote === 'string').id as string;
    };
    const events = { local: await factEvent(['--data-dir', join(sandbox.dir, '.annals')]), server: await factEvent(['--url', sandbox.url]) };
    const envOf = (line: string) => ({ KEY: sandbox.keys.admin, ADMIN_KEY: sandbox.keys.admin, EVENT: line.includes('--url') ? events.server : events.local });
    const outcomes: string[] = [];
    for (const { command, line } of examples) {
      const port = await freePort();
      const written = line.split(' && ');
      for (const [index, part] of localise(line, sandbox, port).split(' && ').entries()) {
        const redirect = /\s>\s*(\S+)\s*$/.exec(part);
        const [program, ...args] = shellWords(redirect ? part.slice(0, redirect.index) : part, envOf(part));
        expect(program).toBe('annals');
        let outcome: string;
        if (args.includes('serve')) outcome = await serve(args, sandbox.dir, port);
        else {
          const run = await annals(args, {}, 'all');
          if (redirect) writeFileSync(join(sandbox.dir, redirect[1]), run.stdout);
          outcome = run.code === 0 ? 'exit 0' : `exit ${run.code}: ${run.stderr.trim()}`;
        }
        outcomes.push(`${command}: ${written[index]} → ${outcome}`);
      }
    }
    console.log(`ran ${outcomes.length} example commands:\n${outcomes.join('\n')}`);
    expect(outcomes.filter((o) => !/→ (exit 0|answered \/health)$/.test(o))).toEqual([]);
  }, 400_000);
});
