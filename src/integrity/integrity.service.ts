import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { conflict } from '../domain/errors';
import { EVENT_STORE, type EventStore } from '../event-store/event-store';
import { MerkleTree } from '../projections/merkle/merkle-tree';
import { ReadModels } from '../projections/read-models';
import { openCheckpoint, signCheckpoint, type TreeHead } from './checkpoint';
import { integrityFilesOf, loadOrCreateSigner, readCheckpointFile, writeCheckpointFile, type IntegrityFiles } from './integrity-files';
import { IntegrityUnverifiedError } from './integrity-errors';
import { readLog } from './read-log';
import { readWithholdings } from './withholdings';
import { formatVerifierKey, signNote, type NoteSigner } from './signed-note';
import { hasStoredRows, keepVerifiedPrefix, RowDigest, verifiedPrefix } from './start-check';
import { INTEGRITY_STREAM, MISMATCH_ACKNOWLEDGED, describeReport, hasContiguousPositions, verifyLog, type VerifyReport, type WalkEnd } from './verify-log';

export interface SignedCheckpoint {
  readonly note: string;
  readonly head: TreeHead;
}

export type IntegrityState =
  | { readonly status: 'verified'; readonly report: VerifyReport }
  | { readonly status: 'failed'; readonly reason: string; readonly report?: VerifyReport };

/**
 * Keeps the record honest across starts. On start it recomputes the log (chains and Merkle tree;
 * only what follows a prefix verified before and unchanged since, see start-check.ts) against the
 * last checkpoint it signed; a log that does not extend it puts the service in
 * `failed`: health reports it and writes are refused until an admin acknowledges the mismatch,
 * which is itself recorded in the log. While verified, it signs a checkpoint of the Merkle
 * projection shortly after writes (every ANNALS_CHECKPOINT_INTERVAL_MS when the log grew), on demand and at shutdown, each one checked to extend the last.
 */
@Injectable()
export class IntegrityService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Integrity');
  private readonly files: IntegrityFiles;
  private signer!: NoteSigner;
  private latest: SignedCheckpoint | undefined;
  private current: IntegrityState = { status: 'failed', reason: 'the log has not been verified yet' };
  private timer: NodeJS.Timeout | undefined;
  private shutDown = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly readModels: ReadModels,
    private readonly tree: MerkleTree,
    @Inject(ANNALS_CONFIG) private readonly config: AnnalsConfig,
  ) {
    this.files = integrityFilesOf(config);
  }

  /** Before the read models catch up (onApplicationBootstrap): the check must see the log as it is, not as a rebuild would make it. */
  async onModuleInit(): Promise<void> {
    const { signer, created } = loadOrCreateSigner(this.files, this.config.logOrigin);
    this.signer = signer;
    if (created && this.files.keyFile) this.logger.log(`generated a checkpoint signing key in ${this.files.keyFile}`);
    // On a shared engine each replica would make its own key and sign checkpoints no reader can check against one.
    if (created && this.config.store !== 'sqlite' && !this.config.signingKeyFile) {
      this.logger.warn(`the signing key was made in this replica's data dir: give every replica the same key (ANNALS_SIGNING_KEY_FILE; copy ${this.files.keyFile})`);
    }
    await this.checkOnStart();
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.signLatest(), this.config.timers.checkpointIntervalMs);
    this.timer.unref();
  }

  /** The last checkpoint covers every acknowledged write, so the next start checks all of them. */
  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
    // An app closed twice must not sign from a read-model database already closed.
    if (this.shutDown) return;
    this.shutDown = true;
    try {
      this.signLatest();
    } catch (error) {
      this.logger.error(`could not sign a checkpoint at shutdown: ${(error as Error).message}`);
    }
  }

  get state(): IntegrityState {
    return this.current;
  }

  get verifierKey(): string {
    return formatVerifierKey(this.signer);
  }

  get origin(): string {
    return this.signer.name;
  }

  /** A statement signed as a note with the checkpoint key, for service events whose author must stay provable (erasures). */
  signStatement(text: string): string {
    return signNote(text, this.signer);
  }

  /** The log's withholdings whose statements this service's key signed: verify checks withheld events against them. */
  private withholdings(): ReturnType<typeof readWithholdings> {
    return readWithholdings(this.store, this.signer);
  }

  /** Called by the write path: a log that failed its check takes no new events until acknowledged. */
  assertWritable(): void {
    if (this.current.status === 'failed') throw new IntegrityUnverifiedError(this.current.reason);
  }

  /** The latest checkpoint, signed now if the Merkle projection has grown past it. */
  latestCheckpoint(): SignedCheckpoint {
    this.assertWritable();
    return this.signLatest() ?? this.unavailable();
  }

  /** Walks the whole store now and compares it with the last checkpoint (admin endpoint, CLI shares verifyLog). */
  async verify(): Promise<VerifyReport> {
    const checkpoint = this.latest?.head;
    return verifyLog(readLog(this.store), { checkpoint, contiguousPositions: hasContiguousPositions(this.config), withholdings: await this.withholdings() });
  }

  /**
   * An admin accepts the log as it now is. The decision is recorded as an event (who, why, what
   * mismatched, the checkpoint it supersedes), the read models are rebuilt from the log, and a new
   * checkpoint is signed over it: the break stays visible in the log for ever.
   */
  async acknowledge(reason: string, actor: string): Promise<{ report: VerifyReport; checkpoint: SignedCheckpoint; position: string }> {
    if (this.current.status !== 'failed') throw conflict('the log matches its last checkpoint: there is nothing to acknowledge', 'reason');
    const withholdings = await this.withholdings();
    const before = await verifyLog(readLog(this.store), { checkpoint: this.latest?.head, contiguousPositions: hasContiguousPositions(this.config), listAll: true, withholdings });
    const { position } = await this.store.appendToStream(
      INTEGRITY_STREAM,
      [
        {
          id: randomUUID(),
          type: MISMATCH_ACKNOWLEDGED,
          data: {
            reason,
            failure: this.current.reason,
            // Each with its evidence: a later change at the same place is not covered by this decision.
            mismatches: before.mismatches.map((m) => ({ kind: m.kind, position: m.position ?? null, detail: m.detail, ...(m.evidence ? { evidence: m.evidence } : {}) })),
            counts: before.counts,
            supersededCheckpoint: this.latest?.note ?? null,
            treeSize: before.treeSize,
            rootHash: before.rootHash,
          },
          metadata: { actor, reason, correlationId: randomUUID() },
        },
      ],
      { expectedRevision: 'any' },
    );
    this.logger.warn(`integrity failure acknowledged by ${actor} at position ${position}: ${reason}`);
    // The read models (the Merkle log among them) were built from the log as it was: build them again from the log as it is.
    await this.readModels.rebuild().done;
    const after = await verifyLog(readLog(this.store), { contiguousPositions: hasContiguousPositions(this.config), withholdings });
    if (!after.ok) {
      this.current = { status: 'failed', reason: describeReport(after), report: after };
      throw conflict(`more mismatches than one acknowledgement lists remain: ${describeReport(after)}`, 'reason');
    }
    this.current = { status: 'verified', report: after };
    const checkpoint = this.sign({ origin: this.origin, size: after.treeSize, rootHash: Buffer.from(after.rootHash, 'base64') });
    return { report: after, checkpoint, position: position.toString() };
  }

  private async checkOnStart(): Promise<void> {
    const started = Date.now();
    const kept = readCheckpointFile(this.files);
    let previous: TreeHead | undefined;
    if (kept !== undefined) {
      try {
        previous = openCheckpoint(kept, this.signer);
        this.latest = { note: kept, head: previous };
      } catch (error) {
        this.fail(`the kept checkpoint does not verify with the signing key: ${(error as Error).message}`);
        return;
      }
    }
    const contiguousPositions = hasContiguousPositions(this.config);
    // A prefix verified at an earlier start and unchanged since (its rows' digest) is not walked again: see start-check.ts.
    const { prefix, why } = await verifiedPrefix(this.files.verifiedPrefixFile, this.store, this.signer, previous);
    let end: WalkEnd | undefined;
    const withholdings = await this.withholdings();
    let report = await verifyLog(readLog(this.store, prefix?.resume.last?.position), { checkpoint: previous, contiguousPositions, resume: prefix?.resume, end: (e) => (end = e), withholdings });
    let walked = prefix ? `the ${report.events - prefix.resume.tree.size} event(s) after the first ${prefix.resume.tree.size} (${why})` : `every event (${why})`;
    if (prefix && !report.ok) {
      // The full walk names a mismatch as the admin endpoint will; one found after a resumed prefix is found again.
      report = await verifyLog(readLog(this.store), { checkpoint: previous, contiguousPositions, withholdings });
      walked = 'every event (a mismatch after the verified prefix)';
    }
    if (!report.ok) {
      this.fail(describeReport(report), report);
      return;
    }
    this.current = { status: 'verified', report };
    this.logger.log(`log verified in ${Date.now() - started} ms, walking ${walked}: ${describeReport(report)}`);
    if (end && hasStoredRows(this.store)) await keepVerifiedPrefix(this.files.verifiedPrefixFile, this.signer, prefix?.digest ?? new RowDigest(this.store), end);
    if (!previous || report.treeSize > previous.size) {
      this.sign({ origin: this.origin, size: report.treeSize, rootHash: Buffer.from(report.rootHash, 'base64') });
    }
  }

  /** Signs the Merkle projection's head if it grew, after checking that it extends the last checkpoint. */
  private signLatest(): SignedCheckpoint | undefined {
    if (this.current.status !== 'verified') return this.latest;
    const size = this.tree.size();
    const previous = this.latest?.head;
    // Still catching up after a start: the checkpoint signed from the log itself is ahead.
    if (previous && size <= previous.size) return this.latest;
    if (previous && !this.tree.root(previous.size).equals(previous.rootHash)) {
      this.fail(`the Merkle read model does not extend the last signed checkpoint of ${previous.size} events: rebuild the read models, then verify`);
      return this.latest;
    }
    return this.sign({ origin: this.origin, size, rootHash: this.tree.root(size) });
  }

  private sign(head: TreeHead): SignedCheckpoint {
    const note = signCheckpoint(head, this.signer);
    writeCheckpointFile(this.files, note);
    this.latest = { note, head };
    return this.latest;
  }

  private fail(reason: string, report?: VerifyReport): void {
    this.current = { status: 'failed', reason, report };
    this.logger.error(`INTEGRITY CHECK FAILED, writes refused until an admin acknowledges (POST /admin/integrity/acknowledge): ${reason}`);
  }

  private unavailable(): never {
    throw new IntegrityUnverifiedError('no checkpoint has been signed yet');
  }
}
