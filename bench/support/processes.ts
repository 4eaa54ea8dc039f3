import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { memoryOf, ROOT } from './env';
import type { FromServer, ServerOptions, ToServer } from './server';

export interface ServerHandle {
  readonly port: number;
  readonly pid: number;
  readonly url: string;
  /** Sends a command and resolves with the next message the server sends back. */
  ask(message: ToServer): Promise<FromServer>;
  peakRssBytes(): number;
  stop(): Promise<void>;
}

/** Forks bench/support/server.ts (through ts-node, so it runs the current src/) and waits until it listens. */
export async function startServer(options: ServerOptions): Promise<ServerHandle> {
  const child: ChildProcess = fork(join(__dirname, 'server.ts'), [], {
    cwd: ROOT,
    // BENCH_CPU_PROF=<dir>: each server writes a .cpuprofile there when it stops (see bench/README.md).
    execArgv: ['-r', 'ts-node/register/transpile-only', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, BENCH_SERVER: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.kind} server did not start within 120 s`)), 120_000);
    child.once('exit', (code) => reject(new Error(`${options.kind} server exited (${code}) before listening`)));
    child.once('message', (message: FromServer) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve(message.port);
      else reject(new Error(`unexpected message ${JSON.stringify(message)}`));
    });
  });
  const pid = child.pid as number;
  return {
    port,
    pid,
    url: `http://127.0.0.1:${port}`,
    ask: (message) =>
      new Promise((resolve) => {
        child.once('message', resolve);
        child.send(message);
      }),
    peakRssBytes: () => memoryOf(pid)?.peakBytes ?? Number.NaN,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' } satisfies ToServer);
      // A server writing its CPU profile (BENCH_CPU_PROF) needs longer to stop on a loaded machine.
      const timer = setTimeout(() => child.kill('SIGKILL'), process.env.BENCH_CPU_PROF ? 60_000 : 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
