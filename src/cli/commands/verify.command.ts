import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { loadConfig } from '../../config';
import { openEventStore } from '../../event-store/event-store.module';
import { quarantineLine } from '../../projections/quarantine';
import { readModelFileStatus, resolveReadModelPath } from '../../projections/read-model-database';
import { openCheckpoint, type TreeHead } from '../../integrity/checkpoint';
import { integrityFilesOf, readCheckpointFile } from '../../integrity/integrity-files';
import { readWithholdings } from '../../integrity/withholdings';
import { readLog } from '../../integrity/read-log';
import { parseSignerKey, parseVerifierKey, type NoteVerifier } from '../../integrity/signed-note';
import { checkConsistency, checkInclusion, verifyCheckpoint, type ConsistencyProofJson, type InclusionProofJson, type Verification } from '../../integrity/verifier';
import { describeReport, hasContiguousPositions, verifyLog } from '../../integrity/verify-log';

import { EXIT } from '../exit-codes';

/** Exit codes of both commands, those of every annals command: 0 verified, 1 the server did not answer, 2 usage, 6 does not verify. */
export { EXIT };

/** Where the commands write and how they end; tests pass their own. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly exit: (code: number) => void;
  readonly env: NodeJS.ProcessEnv;
}

const processIo: CommandIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  exit: (code) => {
    process.exitCode = code;
  },
  env: process.env,
};

class UsageError extends Error {}
/** The server to check against did not answer: nothing was verified, and nothing was found wrong either. */
class UnreachableError extends Error {}

/** Commander's own parse errors (unknown option, missing value) end with the usage exit code too. */
function withUsageExit(command: Command, io: CommandIo): Command {
  return command
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride((error: CommanderError) => {
      io.exit(error.code === 'commander.helpDisplayed' || error.code === 'commander.help' ? EXIT.ok : EXIT.usage);
      throw error;
    });
}

async function run(io: CommandIo, action: () => Promise<boolean>): Promise<void> {
  try {
    io.exit((await action()) ? EXIT.ok : EXIT.mismatch);
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    io.exit(error instanceof UsageError ? EXIT.usage : error instanceof UnreachableError ? EXIT.failed : EXIT.mismatch);
  }
}

/**
 * `annals verify`: walks the whole store of a data dir (or the configured EventStoreDB), recomputes
 * every chain and the Merkle tree, compares them with the last checkpoint the service signed there,
 * and names the first mismatch. Exit 0 when all matches, 6 on a mismatch, 2 on bad usage.
 */
export function verifyCommand(io: CommandIo = processIo): Command {
  return withUsageExit(new Command('verify'), io)
    .description('recompute every hash chain and the Merkle tree of the store, and check them against the last signed checkpoint')
    .option('--data-dir <dir>', 'the data dir (default: ANNALS_DATA_DIR or .annals)')
    .option('--json', 'print the whole report as JSON')
    .addHelpText('after', '\nExamples:\n  annals verify --data-dir .annals\n  annals verify --data-dir /var/lib/annals --json > verify-report.json')
    .action((options: { dataDir?: string; json?: boolean }) =>
      run(io, async () => {
        const config = loadConfig({ ...io.env, ...(options.dataDir ? { ANNALS_DATA_DIR: options.dataDir, ANNALS_SQLITE_PATH: undefined } : {}) });
        if (config.store === 'sqlite' && (config.sqlitePath === ':memory:' || !existsSync(config.sqlitePath))) {
          throw new UsageError(`no event store at ${config.sqlitePath}: give --data-dir`);
        }
        const files = integrityFilesOf(config);
        const note = readCheckpointFile(files);
        let checkpoint: TreeHead | undefined;
        let signer: ReturnType<typeof parseSignerKey> | undefined;
        if (note !== undefined) {
          if (!files.keyFile || !existsSync(files.keyFile)) throw new Error(`the checkpoint in ${config.dataDir} cannot be checked: no signing key at ${files.keyFile}`);
          signer = parseSignerKey(readFileSync(files.keyFile, 'utf8'));
          checkpoint = openCheckpoint(note, signer);
        }
        const store = openEventStore(config);
        try {
          // Withholdings count when the service's key signed them (without a checkpoint there is no key to check them with).
          const withholdings = await readWithholdings(store, signer);
          const report = await verifyLog(readLog(store), { checkpoint, contiguousPositions: hasContiguousPositions(config), withholdings });
          // Not a mismatch (the log is intact) but the read models go without these events: said beside the report.
          const quarantined = readModelFileStatus(resolveReadModelPath(config.readModelPath))?.quarantined;
          if (options.json) io.out(JSON.stringify({ ...report, ...(quarantined ? { quarantined } : {}) }, null, 2));
          else io.out([describeReport(report), ...(quarantined?.count ? [quarantineLine(quarantined)] : [])].join('\n'));
          return report.ok;
        } finally {
          await store.close();
        }
      }),
    );
}

interface ProofOptions {
  key?: string;
  checkpoint?: string;
  oldCheckpoint?: string;
  proof?: string;
  url?: string;
  event?: string;
  position?: string;
}

/**
 * `annals verify-proof`: the standalone check a reader runs without trusting the server. It takes
 * the log's public key (given out of band), then either files (a checkpoint, a proof, and for a
 * consistency proof the checkpoint kept from before) or a server's URL to fetch them from.
 */
export function verifyProofCommand(io: CommandIo = processIo): Command {
  return withUsageExit(new Command('verify-proof'), io)
    .description("check a checkpoint's signature and an inclusion or consistency proof, trusting only the given public key")
    .option('--key <key>', 'the log\'s verifier key (<name>+<id>+<base64>) or a file holding it')
    .option('--checkpoint <file>', 'the (newer) signed checkpoint; default: the one inside the proof, or the server\'s latest')
    .option('--old-checkpoint <file>', 'a checkpoint kept from before: prove the log still extends it')
    .option('--proof <file>', 'a proof as JSON, as GET /integrity/inclusion or /integrity/consistency answer it')
    .option('--url <url>', 'fetch the checkpoint and proofs from this server instead of files')
    .option('--event <id>', 'with --url: prove this event is in the log')
    .option('--position <position>', 'with --url: prove the event at this position is in the log')
    .action((options: ProofOptions) =>
      run(io, async () => {
        if (!options.key) throw new UsageError('--key is required: the public key must come from somewhere other than the server');
        const key = existsSync(options.key) ? readFileSync(options.key, 'utf8').trim() : options.key;
        let verifier: NoteVerifier;
        try {
          verifier = parseVerifierKey(key);
        } catch (error) {
          throw new UsageError(`--key: ${(error as Error).message}`);
        }
        const checks = options.url ? await fromServer(options, key) : fromFiles(options, key);
        let ok = checks.length > 0;
        const said = new Set<string>();
        for (const check of checks) {
          check.messages.forEach((message, i) => {
            // The last message of a failed check is its failure; the ones before it passed.
            const line = `${!check.ok && i === check.messages.length - 1 ? '✗' : '✓'} ${message}`;
            if (!said.has(line)) io.out(line);
            said.add(line);
          });
          ok &&= check.ok;
        }
        io.out(ok ? `OK: verified with ${verifier.name}+${verifier.keyId.toString('hex')}` : 'FAILED');
        return ok;
      }),
    );
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
}

function fromFiles(options: ProofOptions, key: string): Verification[] {
  if (!options.proof && !options.checkpoint) throw new UsageError('give --proof (and --checkpoint), or --url');
  const note = options.checkpoint ? readFileSync(options.checkpoint, 'utf8') : undefined;
  if (!options.proof) return [checkpointOnly(note as string, key)];
  const proof = readJson<InclusionProofJson | ConsistencyProofJson>(options.proof);
  const latest = note ?? proof.checkpoint;
  if (!latest) throw new UsageError('the proof carries no checkpoint: give --checkpoint');
  if (proof.type === 'inclusion') return [checkInclusion(proof, latest, key)];
  if (proof.type === 'consistency') {
    if (!options.oldCheckpoint) throw new UsageError('a consistency proof is checked against the checkpoint you kept: give --old-checkpoint');
    return [checkConsistency(proof, readFileSync(options.oldCheckpoint, 'utf8'), latest, key)];
  }
  throw new UsageError('the proof is neither an inclusion nor a consistency proof');
}

async function fromServer(options: ProofOptions, key: string): Promise<Verification[]> {
  const base = (options.url as string).replace(/\/+$/, '');
  const get = async (path: string) => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`);
    } catch (error) {
      throw new UnreachableError(`${base} did not answer: ${(error as Error).cause ?? (error as Error).message}`);
    }
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response;
  };
  const latest = await (await get('/integrity/checkpoint')).text();
  const checks = [checkpointOnly(latest, key)];
  if (!checks[0].ok) return checks;
  if (options.event || options.position) {
    const query = options.event ? `eventId=${encodeURIComponent(options.event)}` : `position=${encodeURIComponent(options.position as string)}`;
    const head = checks[0].head as TreeHead;
    const proof = (await (await get(`/integrity/inclusion?${query}&treeSize=${head.size}`)).json()) as InclusionProofJson;
    checks.push(checkInclusion(proof, latest, key));
  }
  if (options.oldCheckpoint) {
    const kept = readFileSync(options.oldCheckpoint, 'utf8');
    const old = verifyCheckpoint(kept, key);
    const head = checks[0].head as TreeHead;
    const proof = (await (await get(`/integrity/consistency?from=${old.size}&to=${head.size}`)).json()) as ConsistencyProofJson;
    checks.push(checkConsistency(proof, kept, latest, key));
  }
  return checks;
}

function checkpointOnly(note: string, key: string): Verification {
  try {
    const head = verifyCheckpoint(note, key);
    return { ok: true, head, messages: [`checkpoint signature verifies: ${head.origin}, ${head.size} events, root ${head.rootHash.toString('base64')}`] };
  } catch (error) {
    return { ok: false, messages: [`checkpoint does not verify: ${(error as Error).message}`] };
  }
}

/** Both commands, for the `annals` program to add. */
export function integrityCommands(io: CommandIo = processIo): Command[] {
  return [verifyCommand(io), verifyProofCommand(io)];
}
