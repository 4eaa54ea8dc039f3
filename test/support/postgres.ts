import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * Throw-away PostgreSQL clusters for tests. Each suite gets its own cluster in a fresh temp dir,
 * reachable only through a unix socket in that dir (no TCP port to collide on), fsync and
 * synchronous_commit on. initdb takes seconds, so it runs once per machine into a template that
 * each cluster copies. PostgreSQL refuses to run as root: as root, everything runs as `postgres`.
 * A cluster left behind by a killed run is stopped and removed by the next start.
 */

const PREFIX = 'annals-pg-';

export interface PostgresCluster {
  /** A libpq connection string for the `postgres` database. */
  readonly url: string;
  /** A fresh empty database in this cluster; returns its connection string. */
  createDatabase(name: string): Promise<string>;
  /** kill -9 of the postmaster: what a crashed machine or an OOM kill leaves (its backends end on their own). */
  crash(): void;
  /** Starts the crashed server again at the same address (crash recovery replays its WAL). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The server binaries, or undefined (then the caller skips with this reason). */
export function postgresBinaries(): string | undefined {
  const candidates = [process.env.ANNALS_PG_BIN, ...['17', '16', '15', '14'].map((v) => `/usr/lib/postgresql/${v}/bin`)];
  for (const dir of candidates) if (dir && existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb'))) return dir;
  const onPath = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = onPath.status === 0 ? onPath.stdout.trim() : '';
  return dir && existsSync(join(dir, 'initdb')) ? dir : undefined;
}

export const NO_POSTGRES_REASON =
  'no PostgreSQL server binaries (run .ci/install-test-tools.sh, or set ANNALS_PG_BIN to the directory holding initdb and postgres)';

const asRoot = process.getuid?.() === 0;

/** Runs a server binary as the user PostgreSQL accepts. */
function run(bin: string, program: string, args: string[]): string {
  const path = join(bin, program);
  return asRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', path, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    : execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function giveToServerUser(path: string): void {
  if (asRoot) execFileSync('chown', ['-R', 'postgres:', path]);
}

/** The initdb'd template for this server version, made once and renamed into place whole. */
function template(bin: string): string {
  const version = run(bin, 'postgres', ['--version']).trim().replace(/\D+/g, '-');
  const dir = join(tmpdir(), `${PREFIX}template${version}u${process.getuid?.() ?? 0}`);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  const building = mkdtempSync(join(tmpdir(), `${PREFIX}building-`));
  giveToServerUser(building);
  const data = join(building, 'data');
  // --no-sync: the template is copied, never served; each cluster's own writes are fsynced.
  run(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  try {
    renameSync(data, dir);
  } catch {
    // Another run made it first; its template is as good.
  }
  rmSync(building, { recursive: true, force: true });
  return dir;
}

/** Stops and removes clusters whose test process is gone (a killed jest, a crashed worker). */
function reapLeftovers(bin: string): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX) || name.includes('template')) continue;
    const dir = join(tmpdir(), name);
    const ownerFile = join(dir, 'owner.pid');
    if (!existsSync(ownerFile)) continue;
    const owner = Number(readFileSync(ownerFile, 'utf8'));
    if (isAlive(owner)) continue;
    stopServer(bin, join(dir, 'data'), 'immediate');
    stopServer(bin, join(dir, 'standby'), 'immediate');
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function stopServer(bin: string, data: string, mode: 'fast' | 'immediate'): void {
  if (!existsSync(join(data, 'postmaster.pid'))) return;
  try {
    run(bin, 'pg_ctl', ['stop', '-D', data, '-m', mode, '-w', '-t', '10']);
  } catch {
    // pg_ctl could not stop it: end the postmaster by its pid file, or it outlives the test run.
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (isAlive(pid)) process.kill(pid, 'SIGQUIT');
  }
}

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = postgresBinaries();
  if (!bin) throw new Error(NO_POSTGRES_REASON);
  reapLeftovers(bin);
  const source = template(bin);
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const data = join(dir, 'data');
  execFileSync('cp', ['-a', source, data]);
  giveToServerUser(dir);
  const options = [
    "-c listen_addresses=''",
    `-c unix_socket_directories=${dir}`,
    // Durability is what the adapter promises: an acknowledged append is on disk.
    '-c fsync=on',
    '-c synchronous_commit=on',
    '-c max_connections=60',
    '-c shared_buffers=32MB',
  ].join(' ');
  try {
    run(bin, 'pg_ctl', ['start', '-D', data, '-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', options]);
  } catch (error) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`);
  }
  const urlOf = (database: string) => `postgresql://postgres@localhost/${database}?host=${encodeURIComponent(dir)}`;
  return {
    url: urlOf('postgres'),
    async createDatabase(name: string) {
      await createDatabaseAt(urlOf('postgres'), name);
      return urlOf(name);
    },
    crash() {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
    },
    async restart() {
      // The killed postmaster's backends notice and exit within moments; until then the old shared memory is in use.
      for (let attempt = 0; ; attempt++) {
        try {
          run(bin, 'pg_ctl', ['start', '-D', data, '-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', options]);
          return;
        } catch (error) {
          if (attempt >= 40) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    },
    async stop() {
      // Immediate: no shutdown checkpoint to write for a cluster about to be deleted.
      stopServer(bin, data, 'immediate');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ReplicatedPostgres {
  /** The primary first, then the standby, as one libpq multi-host string with target_session_attrs=read-write. */
  readonly url: string;
  /** A fresh database on the primary (streamed to the standby); returns its multi-host connection string. */
  createDatabase(name: string): Promise<string>;
  /** kill -9 of the primary's postmaster. */
  crashPrimary(): void;
  /** Promotes the standby to primary (pg_ctl promote, waiting until it takes writes). */
  promoteStandby(): void;
  stop(): Promise<void>;
}

/**
 * A primary and a synchronous streaming standby on unix sockets (pg_basebackup of the primary, the
 * standby named in synchronous_standby_names): a commit is acknowledged only once the standby has it
 * on disk, so promoting the standby after the primary is killed loses no acknowledged write.
 */
export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error(NO_POSTGRES_REASON);
  reapLeftovers(bin);
  const source = template(bin);
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const primary = { data: join(dir, 'data'), socket: join(dir, 'p') };
  const standby = { data: join(dir, 'standby'), socket: join(dir, 's') };
  execFileSync('mkdir', ['-p', primary.socket, standby.socket]);
  execFileSync('cp', ['-a', source, primary.data]);
  giveToServerUser(dir);
  const common = ["-c listen_addresses=''", '-c fsync=on', '-c synchronous_commit=on', '-c max_connections=80', '-c shared_buffers=32MB'];
  const start = (server: { data: string; socket: string }, extra: string[], log: string) =>
    run(bin, 'pg_ctl', ['start', '-D', server.data, '-w', '-t', '30', '-l', join(dir, log), '-o', [...common, `-c unix_socket_directories=${server.socket}`, ...extra].join(' ')]);
  try {
    start(primary, ['-c wal_level=replica', '-c max_wal_senders=4', "-c synchronous_standby_names='annals_standby'"], 'primary.log');
    run(bin, 'pg_basebackup', ['-D', standby.data, '-h', primary.socket, '-U', 'postgres', '-X', 'stream', '-R', '--no-sync']);
    // The standby names itself as the synchronous one; recovery follows the latest timeline once promoted.
    run(bin, 'psql', ['-h', primary.socket, '-U', 'postgres', '-d', 'postgres', '-qAtc', 'SELECT 1']);
    writeFileSync(join(standby.data, 'postgresql.auto.conf'), `primary_conninfo = 'host=${primary.socket} user=postgres application_name=annals_standby'\n`, { flag: 'a' });
    giveToServerUser(standby.data);
    start(standby, ['-c hot_standby=on'], 'standby.log');
    // Synchronous from here: wait until the primary sees the standby streaming as its synchronous one.
    for (let tries = 0; ; tries++) {
      const state = run(bin, 'psql', ['-h', primary.socket, '-U', 'postgres', '-d', 'postgres', '-qAtc', "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'annals_standby'"]).trim();
      if (state === 'sync') break;
      if (tries > 100) throw new Error(`the standby did not become synchronous (state: ${state || 'not connected'})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    for (const server of [standby, primary]) stopServer(bin, server.data, 'immediate');
    const logs = ['primary.log', 'standby.log'].map((log) => (existsSync(join(dir, log)) ? readFileSync(join(dir, log), 'utf8') : '')).join('\n');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the replicated PostgreSQL did not start: ${(error as Error).message}\n${logs}`);
  }
  const urlOf = (database: string) =>
    `postgresql://postgres@localhost/${database}?host=${encodeURIComponent(primary.socket)},${encodeURIComponent(standby.socket)}&target_session_attrs=read-write`;
  return {
    url: urlOf('postgres'),
    async createDatabase(name: string) {
      await createDatabaseAt(`postgresql://postgres@localhost/postgres?host=${encodeURIComponent(primary.socket)}`, name);
      return urlOf(name);
    },
    crashPrimary() {
      process.kill(Number(readFileSync(join(primary.data, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGKILL');
    },
    promoteStandby() {
      run(bin, 'pg_ctl', ['promote', '-D', standby.data, '-w', '-t', '30']);
    },
    async stop() {
      for (const server of [standby, primary]) stopServer(bin, server.data, 'immediate');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CREATE DATABASE `name` through a connection to `adminUrl`. */
async function createDatabaseAt(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}
