import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Mode {
  readonly quick: boolean;
  /** This run's temp dir: every database the bench makes lives here and goes with it. */
  readonly tmp: string;
}

export const ROOT = join(__dirname, '..', '..');

export function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function machine() {
  const cores = cpus();
  return { cpu: cores[0]?.model.trim() ?? 'unknown', cores: cores.length, memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10 };
}

export function versions() {
  const db = new Database(':memory:');
  const sqlite = db.prepare('SELECT sqlite_version()').pluck().get() as string;
  db.close();
  return {
    node: process.version,
    'better-sqlite3': version('better-sqlite3'),
    sqlite,
    nestjs: version('@nestjs/core'),
    fastify: version('fastify'),
    'class-validator': version('class-validator'),
    autocannon: version('autocannon'),
  };
}

/** A port free right now on 127.0.0.1, for a child that must be told its port in advance. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Peak and current resident memory of a process, from /proc (Linux). */
export function memoryOf(pid: number): { peakBytes: number; currentBytes: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { peakBytes: kb('VmHWM'), currentBytes: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time (user + system) a process has used so far, in seconds, from /proc (Linux). */
export function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The code measured: others edit src/ while the bench runs, so a figure belongs to a commit plus uncommitted files. */
export function codeVersion(): { commit: string; uncommitted: string[] } {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  // Not trimmed at the start: each porcelain line begins with its two status columns (' M src/…').
  const status = spawnSync('git', ['status', '--porcelain', '--', 'src', 'test/support'], { cwd: ROOT, encoding: 'utf8' }).stdout ?? '';
  const uncommitted = status
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3));
  return { commit: git('rev-parse', '--short', 'HEAD') || 'unknown', uncommitted };
}
