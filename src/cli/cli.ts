import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Command } from 'commander';
import { loadConfig, type AnnalsConfig } from '../config';
import { CoreModule } from '../core/core.module';
import { servingProcess } from '../core/server-lock';
import { EXIT, exitCodeOfStatus, type ExitCode } from './exit-codes';

export { EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes';

/** An error the command line reports as one line on stderr, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/** The options every command has (set on `annals` itself). */
export interface GlobalOptions {
  readonly dataDir?: string;
  readonly url?: string;
  readonly key?: string;
  /** --min-position: reads from --url wait until the server has applied this position. */
  readonly minPosition?: string;
  readonly json?: boolean;
}

/** What commands share: where output goes, how to reach the data, and the exit code they end with. */
export class Cli {
  exitCode: ExitCode = EXIT.ok;
  /**
   * The highest log position this run's own writes reached (their Annals-Position), sent as
   * Annals-Min-Position on its later reads: behind several replicas it still reads what it wrote.
   */
  private ownPosition: bigint | undefined;

  constructor(readonly io: Io) {}

  /** Human text, or with --json one JSON document on stdout (bigint as strings). */
  print(options: GlobalOptions, human: string, json: unknown): void {
    if (options.json) this.io.stdout.write(`${JSON.stringify(json, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    else this.io.stdout.write(`${human}\n`);
  }

  /** Wraps an action: errors become one line on stderr and an exit code, never a stack trace. */
  action<A extends unknown[]>(run: (...args: A) => Promise<ExitCode | void>): (...args: A) => Promise<void> {
    return async (...args: A) => {
      try {
        const code = await run(...args);
        if (code !== undefined) this.exitCode = code;
      } catch (error) {
        this.exitCode = error instanceof CliError ? error.exitCode : EXIT.failed;
        this.io.stderr.write(`annals: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    };
  }

  /** The config a data-dir command works on: the environment's, with --data-dir over ANNALS_DATA_DIR. */
  config(options: GlobalOptions): AnnalsConfig {
    const env: NodeJS.ProcessEnv = { ...this.io.env, ...(options.dataDir ? { ANNALS_DATA_DIR: options.dataDir } : {}) };
    if (options.dataDir) {
      delete env.ANNALS_SQLITE_PATH;
      delete env.ANNALS_READ_MODEL_PATH;
    }
    return { ...loadConfig(env), demoData: false };
  }

  /** Boots the core (store, projections, write path) on the data directory, without HTTP. */
  async core(options: GlobalOptions): Promise<INestApplicationContext> {
    return NestFactory.createApplicationContext(CoreModule.register(this.config(options)), { logger: new StderrLogger(this.io) });
  }

  /** A request to a running server (--url), with the key when one is given; answers parsed JSON. */
  async request(options: GlobalOptions, method: string, path: string, body?: string, contentType = 'application/json'): Promise<unknown> {
    const text = await this.requestText(options, method, path, body, contentType);
    return text === '' ? null : safeJson(text);
  }

  /** The same request, answering the body as it came (NDJSON, CSV). */
  async requestText(options: GlobalOptions, method: string, path: string, body?: string, contentType = 'application/json'): Promise<string> {
    const url = new URL(path, options.url);
    const minPosition = method === 'GET' || method === 'HEAD' ? this.minPosition(options) : undefined;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': contentType }),
          ...(options.key ? { authorization: `Bearer ${options.key}`, 'x-api-key': options.key } : {}),
          ...(minPosition === undefined ? {} : { 'annals-min-position': minPosition.toString() }),
        },
        body,
      });
    } catch (error) {
      throw new CliError(`${url.origin} did not answer: ${(error as Error).cause ?? (error as Error).message}`, EXIT.failed);
    }
    this.noteOwnPosition(response.headers.get('annals-position'));
    const text = await response.text();
    const problem = safeJson(text) as { detail?: string; code?: string } | null;
    // 503 is /health's answer when something is down: its body says what, and status reports it. A
    // position not reached in time is no such answer: the read did not happen.
    if (!response.ok && (response.status !== 503 || problem?.code === 'position-not-reached')) {
      const detail = problem?.detail ?? text.slice(0, 500);
      throw new CliError(`${method} ${url.pathname} answered ${response.status}: ${detail}`, exitCodeOfStatus(response.status));
    }
    return text;
  }

  /** The position this run's reads ask for: --min-position or its own last write's, whichever is later. */
  private minPosition(options: GlobalOptions): bigint | undefined {
    let asked: bigint | undefined;
    if (options.minPosition !== undefined) {
      if (!/^\d{1,19}$/.test(options.minPosition)) throw new CliError(`--min-position must be a log position (a whole number), not ${options.minPosition}`, EXIT.usage);
      asked = BigInt(options.minPosition);
    }
    if (this.ownPosition === undefined) return asked;
    return asked === undefined || this.ownPosition > asked ? this.ownPosition : asked;
  }

  private noteOwnPosition(header: string | null): void {
    if (header === null || !/^\d{1,19}$/.test(header)) return;
    const position = BigInt(header);
    if (this.ownPosition === undefined || position > this.ownPosition) this.ownPosition = position;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Nest's logs go to stderr so that stdout stays what a pipe reads; only warnings and errors unless ANNALS_CLI_VERBOSE. */
class StderrLogger implements LoggerService {
  private readonly chatty: boolean;

  constructor(private readonly io: Io) {
    this.chatty = Boolean(io.env.ANNALS_CLI_VERBOSE);
  }

  log(message: unknown): void {
    if (this.chatty) this.io.stderr.write(`${String(message)}\n`);
  }

  error(message: unknown): void {
    this.io.stderr.write(`error: ${String(message)}\n`);
  }

  warn(message: unknown): void {
    this.io.stderr.write(`warning: ${String(message)}\n`);
  }
}

/**
 * The command's options with the root's: a root option given after the command name (where the
 * command has a hidden copy of it) wins over the same option before it or from the environment.
 */
export function globals(command: Command): GlobalOptions & Record<string, unknown> {
  const chain: Command[] = [];
  for (let at: Command | null = command; at; at = at.parent) chain.unshift(at);
  const merged: Record<string, unknown> = {};
  for (const at of chain) for (const [name, value] of Object.entries(at.opts())) if (value !== undefined) merged[name] = value;
  return merged;
}

/** Runs `fn` on a booted core and always closes it (jest and scripts hang on an open store otherwise). */
export async function withCore<T>(cli: Cli, options: GlobalOptions, fn: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  const config = cli.config(options);
  const server = config.readModelPath === ':memory:' ? undefined : servingProcess(config.readModelPath);
  if (server !== undefined) {
    throw new CliError(`a server (pid ${server}) serves ${config.dataDir}: send this command to it with --url (or stop it first)`, EXIT.refused);
  }
  const app = await cli.core(options);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
