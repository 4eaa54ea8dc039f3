import type { RecordedEvent } from '../event-store/event-store';
import { INTEGRITY_STREAM, isServiceStream, MISMATCH_ACKNOWLEDGED } from '../event-store/stream-ownership';
import type { TreeHead } from './checkpoint';
import { canonicalJson, CanonicalText, sha256 } from '../event-store/canonical-json';
import { PREV_HASH, eventHash, isChained, recordedHash } from '../event-store/event-hash';
import { eventIdFromKey, eventIdKey } from '../projections/merkle/event-id-key';
import { eventLeafHash } from '../projections/merkle/leaf';
import { CompactTree } from '../projections/merkle/merkle';
import { parsePointer, valueAt } from '../domain/json-pointer';
import { CONTENT_WITHHELD, parseWithheld, REDACTION_STREAM } from '../event-store/withheld';

/**
 * Recomputes a whole log: every stream's hash chain, and the Merkle tree over the global order,
 * compared with the last signed checkpoint. Pure: it takes the events and the checkpoint and says
 * what does not match, and how.
 */

export { INTEGRITY_STREAM, MISMATCH_ACKNOWLEDGED };

export type MismatchKind =
  /** The event's content no longer matches its own hash, or its successor's link to it. */
  | 'edited'
  /** Events are gone from the middle of the log or of a stream. */
  | 'missing'
  /** Events are out of their order (a stream's revisions, or record time). */
  | 'reordered'
  /** An event the store did not write: unhashed among chained events, or a revision twice. */
  | 'foreign'
  /** The log is shorter than the last signed checkpoint. */
  | 'truncated'
  /** The first checkpoint-size events no longer hash to the signed root. */
  | 'rewritten';

export interface Mismatch {
  kind: MismatchKind;
  detail: string;
  leafIndex?: number;
  position?: string;
  eventId?: string;
  streamId?: string;
  revision?: string;
  /**
   * A digest of what was found (the event's content and the chain it links to): an acknowledgement
   * names it, so that a later change at the same place is a new mismatch, reported again.
   */
  evidence?: string;
  acknowledged?: boolean;
}

/** One mismatch an admin acknowledged, and where in the log the acknowledgement stands. */
interface Acknowledgement {
  readonly kind: string;
  readonly position: string;
  /** Absent in acknowledgements recorded before evidence existed: those match by kind and position. */
  readonly evidence?: string;
  readonly leafIndex: number;
}

/**
 * A ContentWithheld event as read from the log before the walk (src/integrity/withholdings.ts): the
 * event it names meets the walk before it, and is then checked against it.
 */
export interface Withholding {
  /** The ContentWithheld event's id. */
  readonly id: string;
  /** The id of the event whose content was withheld. */
  readonly event: string;
  readonly paths: readonly string[];
  /** The event's Merkle leaf hash as recorded (hex): the tree keeps it. */
  readonly leafHash: string;
  /** The hash of the event as it is stored once withheld (hex, eventHash): any other change is an edit. */
  readonly withheldHash: string;
}

/** An event whose content was withheld, found as its ContentWithheld event says: reported, not a mismatch. */
export interface WithheldEvent {
  readonly eventId: string;
  readonly position: string;
  /** The ContentWithheld event that withheld it. */
  readonly by: string;
  readonly paths: readonly string[];
}

export interface VerifyReport {
  /** True when nothing mismatches that an admin has not acknowledged. */
  readonly ok: boolean;
  readonly events: number;
  readonly streams: number;
  readonly chainedEvents: number;
  /** Events written before chains existed: the unhashed first events of their streams. */
  readonly legacyEvents: number;
  readonly legacyStreams: number;
  /** The tree recomputed from the log, over all of it. */
  readonly treeSize: number;
  readonly rootHash: string;
  readonly checkpoint: { readonly size: number; readonly rootHash: string; readonly matches: boolean } | null;
  readonly firstMismatch: Mismatch | null;
  readonly counts: Partial<Record<MismatchKind, number>>;
  /** At most MAX_LISTED, oldest first. */
  readonly mismatches: readonly Mismatch[];
  readonly acknowledged: number;
  /** Events whose content was withheld (hash kept), each checked against its ContentWithheld event. */
  readonly withheld: readonly WithheldEvent[];
}

export interface VerifyOptions {
  /**
   * The log's ContentWithheld events, by the id of the event each names (in log order; the last
   * counts): an event whose content no longer matches its recorded hash is withheld, not edited, when
   * it is stored exactly as the last of them says and that event stands intact later in the log.
   */
  readonly withholdings?: ReadonlyMap<string, readonly Withholding[]>;
  /** The last checkpoint signed: the log must extend it. */
  readonly checkpoint?: TreeHead;
  /**
   * The SQLite and PostgreSQL stores number positions 1, 2, 3… and their record time never goes
   * backwards: a gap is a deleted row, an earlier time a moved one. (EventStoreDB promises neither.)
   */
  readonly contiguousPositions?: boolean;
  /** List every mismatch, not only the first MAX_LISTED (an acknowledgement must name them all). */
  readonly listAll?: boolean;
  /** Check only the events after a prefix checked before (see start-check.ts), as if the walk had gone through it. */
  readonly resume?: ResumeFrom;
  /** Told where the walk stopped, so that a later one can resume from there. */
  readonly end?: (end: WalkEnd) => void;
}

export interface WalkEnd {
  readonly tree: { readonly size: number; readonly frontier: readonly Buffer[] };
  readonly last?: { readonly position: bigint; readonly recordedAt: Date };
  readonly sawChained: boolean;
}

/** Where a walk over a prefix of the log stopped: enough to check what follows it as the whole walk would. */
export interface ResumeFrom {
  /** The prefix's Merkle tree (CompactTree state). */
  readonly tree: { readonly size: number; readonly frontier: readonly Buffer[] };
  /** The prefix's last event, for the position and record-time order checks. */
  readonly last?: { readonly position: bigint; readonly recordedAt: Date };
  /** Whether the prefix holds chained events (an unhashed event after them is foreign). */
  readonly sawChained: boolean;
  /** The event of `event`'s stream at the revision before it, when `event`'s stream is first met after the prefix. */
  readonly before: (event: RecordedEvent) => Promise<RecordedEvent | undefined>;
}

const MAX_LISTED = 100;

/** Whether the configured store promises contiguous positions and record times that never go backwards (VerifyOptions). */
export function hasContiguousPositions(config: { readonly store: string }): boolean {
  return config.store === 'sqlite' || config.store === 'postgres';
}

interface StreamState {
  next: bigint;
  /** What the next event must carry as prevHash. */
  lastHash: string | null;
  /** Just enough of the stream's last event to name it (a whole event per stream would not fit a large log in memory). */
  last?: Pick<RecordedEvent, 'id' | 'streamId' | 'revision' | 'position'>;
  chained: boolean;
  legacy: number;
  gaps?: Map<bigint, Mismatch>;
}

/**
 * A stream's state between its events, packed into one short string: a million-event log has about
 * half a million streams, and as objects (a BigInt, a 64-character hex hash, the last event's fields)
 * they took hundreds of MB of heap during a start. Here the hash is its 32 bytes as latin1 characters, and a UUID event id its 16 (packId).
 * Gaps are rare and kept beside (`gapsOf`).
 */
function pack(state: StreamState): string {
  const hash = state.lastHash === null ? '' : Buffer.from(state.lastHash, 'hex').toString('latin1');
  const last = state.last ? `${state.last.revision}\t${state.last.position}\t${packId(state.last.id)}` : '\t\t';
  // A recorded hash that is not 64 lower-case hex digits (a tampered one) is kept as JSON, which escapes tabs.
  const packedHash = state.lastHash === null ? 'n' : hash.length === 32 && state.lastHash === Buffer.from(hash, 'latin1').toString('hex') ? `h${hash}` : `s${JSON.stringify(state.lastHash)}`;
  return flat(`${state.next}\t${state.chained ? 1 : 0}\t${state.legacy}\t${packedHash}\t${last}`);
}

/**
 * The same string, stored flat. V8 keeps a concatenation as a tree of its parts (a "cons string"):
 * a packed state was ~12 nodes and ~340 bytes of heap instead of ~70 (a million-event log: ~130 MB of
 * the walk's live state, which V8 then let the heap grow to a multiple of). Reading a character makes
 * V8 flatten the string in place, and the next collection drops the tree.
 */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

function unpack(streamId: string, text: string, gaps: Map<bigint, Mismatch> | undefined): StreamState {
  const [next, chained, legacy, hash, revision, position, id] = splitPacked(text);
  const lastHash = hash === 'n' ? null : hash[0] === 'h' ? Buffer.from(hash.slice(1), 'latin1').toString('hex') : (JSON.parse(hash.slice(1)) as string);
  return {
    next: BigInt(next),
    lastHash,
    chained: chained === '1',
    legacy: Number(legacy),
    last: revision === '' ? undefined : { id: unpackId(id), streamId, revision: BigInt(revision), position: BigInt(position) },
    gaps,
  };
}

/** An event id that is a lower-case UUID as its 16 bytes in latin1 ('u' + 16 characters, not 36); any other as it is, after 's'. */
function packId(id: string): string {
  const key = eventIdKey(id);
  return typeof key === 'string' ? `s${key}` : `u${key.toString('latin1')}`;
}

function unpackId(packed: string): string {
  return packed[0] === 's' ? packed.slice(1) : eventIdFromKey(Buffer.from(packed.slice(1), 'latin1'));
}

/** Splits on the first six tabs only: a hash's latin1 bytes may hold a tab, and an id may too. */
function splitPacked(text: string): string[] {
  const parts: string[] = [];
  let from = 0;
  for (let field = 0; field < 3; field++) {
    const tab = text.indexOf('\t', from);
    parts.push(text.slice(from, tab));
    from = tab + 1;
  }
  // The hash field has a fixed length when it is packed bytes ('h' + 32 characters).
  const hashEnd = text[from] === 'h' ? from + 33 : text.indexOf('\t', from);
  parts.push(text.slice(from, hashEnd));
  from = hashEnd + 1;
  for (let field = 0; field < 2; field++) {
    const tab = text.indexOf('\t', from);
    parts.push(text.slice(from, tab));
    from = tab + 1;
  }
  parts.push(text.slice(from));
  return parts;
}

export async function verifyLog(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>, options: VerifyOptions = {}): Promise<VerifyReport> {
  const resume = options.resume;
  const tree = new CompactTree(resume ? { size: resume.tree.size, frontier: [...resume.tree.frontier] } : undefined);
  const streams = new Map<string, string>();
  const gapsOf = new Map<string, Map<bigint, Mismatch>>();
  const found: Mismatch[] = [];
  const acknowledgements: Acknowledgement[] = [];
  let checkpointRoot: Buffer | undefined = options.checkpoint && tree.size === options.checkpoint.size && tree.size > 0 ? tree.root() : undefined;
  let previous: Pick<RecordedEvent, 'position' | 'recordedAt'> | undefined = resume?.last;
  let sawChained = resume?.sawChained ?? false;
  let chainedEvents = 0;
  let legacyEvents = 0;
  // Counted as they turn legacy: a pass over every stream's state at the end (473,000 at 1M) made the start's peak.
  let legacyStreams = 0;
  const withheld: WithheldEvent[] = [];
  /** ContentWithheld events an event was accepted by, still to be met intact later in the walk. */
  const pendingWithholdings = new Map<string, { where: ReturnType<typeof at>; label: string }>();
  const at = (event: Pick<RecordedEvent, 'id' | 'streamId' | 'revision' | 'position'>) => ({
    leafIndex: tree.size,
    position: event.position.toString(),
    eventId: event.id,
    streamId: event.streamId,
    revision: event.revision.toString(),
  });
  const report = (mismatch: Mismatch) => {
    // One finding per kind and event: a deleted row shows as both a position gap and a revision gap.
    const last = found[found.length - 1];
    if (last && mismatch.leafIndex !== undefined && last.leafIndex === mismatch.leafIndex && last.kind === mismatch.kind) {
      last.detail += `; ${mismatch.detail}`;
      return last;
    }
    found.push(mismatch);
    return mismatch;
  };

  for await (const event of events) {
    const where = at(event);
    const label = `event ${event.id} (${event.type}, ${event.streamId} revision ${event.revision}, position ${event.position})`;
    if (options.contiguousPositions) {
      const expected = previous ? previous.position + 1n : 1n;
      if (event.position > expected) {
        const range = event.position - 1n === expected ? `position ${expected} is` : `positions ${expected}–${event.position - 1n} are`;
        report({ kind: 'missing', ...where, detail: `${range} missing from the log before ${label}` });
      }
    }
    if (options.contiguousPositions && previous && event.recordedAt.getTime() < previous.recordedAt.getTime()) {
      report({ kind: 'reordered', ...where, detail: `${label} was recorded at ${event.recordedAt.toISOString()}, before the event ahead of it in the log (${previous.recordedAt.toISOString()})` });
    }

    const packed = streams.get(event.streamId);
    let stream: StreamState;
    if (packed !== undefined) {
      stream = unpack(event.streamId, packed, gapsOf.get(event.streamId));
    } else {
      stream = { next: 0n, lastHash: null, chained: false, legacy: 0 };
      // A stream first met after a resumed prefix goes on from its last event there (none found: its events are missing).
      const before = resume && event.revision > 0n ? await resume.before(event) : undefined;
      if (before && before.position < event.position) {
        stream.next = before.revision + 1n;
        stream.lastHash = recordedHash(before) ?? eventHash(before);
        stream.chained = isChained(before);
        stream.last = { id: before.id, streamId: before.streamId, revision: before.revision, position: before.position };
      }
    }
    const foundBefore = found.length;
    const chainHead = stream.lastHash;
    let inOrder = event.revision === stream.next;
    const advances = event.revision >= stream.next;
    if (event.revision > stream.next) {
      const gap = report({
        kind: 'missing',
        ...where,
        detail: `${event.streamId} jumps from revision ${stream.next - 1n} to ${event.revision}: ${event.revision - stream.next} event(s) of the stream are missing before ${label}`,
      });
      stream.gaps ??= new Map();
      for (let r = stream.next; r < event.revision && r < stream.next + 1000n; r++) stream.gaps.set(r, gap);
      stream.next = event.revision + 1n;
    } else if (event.revision < stream.next) {
      const gap = stream.gaps?.get(event.revision);
      if (gap) {
        gap.kind = 'reordered';
        gap.detail = `${event.streamId} revision ${event.revision} comes after revision ${gap.revision} in the log: events were reordered (${label})`;
        stream.gaps?.delete(event.revision);
      } else {
        report({ kind: 'foreign', ...where, detail: `${label} repeats a revision the stream already has: it was inserted` });
      }
      inOrder = false;
    } else {
      stream.next += 1n;
    }

    // The data is serialised once for both hashes that cover it: the chain's and the Merkle leaf's.
    const data = new CanonicalText(canonicalJson(event.data));
    const hashable = { ...event, data };
    const computed = eventHash(hashable);
    let keptLeaf: { leaf: Buffer; by: string; paths: readonly string[] } | undefined;
    if (pendingWithholdings.size > 0 && event.streamId === REDACTION_STREAM && event.type === CONTENT_WITHHELD && recordedHash(event) === computed) {
      pendingWithholdings.delete(event.id);
    }
    if (!isChained(event)) {
      if (stream.chained || sawChained) {
        report({ kind: 'foreign', ...where, detail: `${label} carries no hash, yet chained events precede it: the store did not write it` });
      } else {
        legacyEvents += 1;
        stream.legacy += 1;
        if (stream.legacy === 1) legacyStreams += 1;
      }
      if (advances) stream.lastHash = computed;
    } else {
      sawChained = true;
      stream.chained = true;
      chainedEvents += 1;
      const recorded = recordedHash(event);
      keptLeaf = recorded !== computed ? withheldAs(event, computed, options.withholdings) : undefined;
      if (keptLeaf) {
        withheld.push({ eventId: event.id, position: event.position.toString(), by: keptLeaf.by, paths: keptLeaf.paths });
        pendingWithholdings.set(keptLeaf.by, { where, label });
      }
      if (recorded !== computed && !keptLeaf) {
        report({ kind: 'edited', ...where, detail: `${label} no longer matches its hash: its type, data or metadata were changed` });
      } else if (inOrder && event.metadata[PREV_HASH] !== stream.lastHash) {
        // The event itself is intact, so the one it links to was rewritten (hash recomputed to hide it).
        const before = stream.last;
        report({
          kind: 'edited',
          ...(before ? at(before) : where),
          leafIndex: where.leafIndex,
          detail: before
            ? `${event.streamId} revision ${event.revision} does not link to revision ${before.revision} (position ${before.position}) as recorded: that event was rewritten`
            : `${label} links to an event its stream does not hold`,
        });
      }
      if (advances) stream.lastHash = recorded ?? null;
    }
    if (advances) stream.last = { id: event.id, streamId: event.streamId, revision: event.revision, position: event.position };
    streams.set(event.streamId, pack(stream));
    if (stream.gaps) gapsOf.set(event.streamId, stream.gaps);

    if (found.length > foundBefore) {
      const evidence = sha256(`${computed}\n${chainHead ?? ''}`).toString('hex').slice(0, 32);
      for (let i = foundBefore; i < found.length; i++) found[i].evidence = evidence;
    }
    // Only the service writes its own streams (no outside surface may: stream-ownership.ts), and only
    // an intact acknowledgement counts: one whose hash no longer matches is itself an edit.
    if (
      event.streamId === INTEGRITY_STREAM &&
      isServiceStream(event.streamId) &&
      event.type === MISMATCH_ACKNOWLEDGED &&
      recordedHash(event) === computed &&
      Array.isArray(event.data.mismatches)
    ) {
      for (const m of event.data.mismatches) {
        if (m && typeof m === 'object' && !Array.isArray(m)) {
          acknowledgements.push({
            kind: String(m.kind),
            position: String(m.position),
            ...(typeof m.evidence === 'string' ? { evidence: m.evidence } : {}),
            leafIndex: where.leafIndex,
          });
        }
      }
    }
    tree.appendHash(keptLeaf?.leaf ?? eventLeafHash(event, data));
    if (options.checkpoint && tree.size === options.checkpoint.size) checkpointRoot = tree.root();
    previous = event;
  }

  for (const [by, { where, label }] of pendingWithholdings) {
    found.push({ kind: 'edited', ...where, detail: `${label} holds content withheld by ContentWithheld ${by}, which the log does not hold intact after it` });
  }
  options.end?.({ tree: tree.state, last: previous && { position: previous.position, recordedAt: previous.recordedAt }, sawChained });
  const checkpoint = options.checkpoint;
  if (checkpoint && checkpoint.size === 0) checkpointRoot = checkpoint.rootHash;
  if (checkpoint && tree.size < checkpoint.size) {
    report({
      kind: 'truncated',
      leafIndex: tree.size,
      detail: `the log holds ${tree.size} events but the last signed checkpoint covers ${checkpoint.size}: ${checkpoint.size - tree.size} event(s) at its end are gone`,
    });
  } else if (checkpoint && checkpointRoot && !checkpointRoot.equals(checkpoint.rootHash)) {
    report({
      kind: 'rewritten',
      detail: `the first ${checkpoint.size} events of the log no longer hash to the root of the last signed checkpoint: history was rewritten`,
    });
  }

  for (const mismatch of found) {
    if (acknowledgements.some((a) => acknowledges(a, mismatch))) mismatch.acknowledged = true;
  }
  const open = found.filter((m) => !m.acknowledged);
  const counts: Partial<Record<MismatchKind, number>> = {};
  for (const m of open) counts[m.kind] = (counts[m.kind] ?? 0) + 1;
  return {
    ok: open.length === 0,
    events: tree.size,
    streams: streams.size,
    chainedEvents,
    legacyEvents,
    legacyStreams,
    treeSize: tree.size,
    rootHash: tree.root().toString('base64'),
    checkpoint: checkpoint
      ? { size: checkpoint.size, rootHash: checkpoint.rootHash.toString('base64'), matches: checkpointRoot?.equals(checkpoint.rootHash) ?? false }
      : null,
    firstMismatch: open[0] ?? null,
    counts,
    mismatches: options.listAll ? open : open.slice(0, MAX_LISTED),
    acknowledged: found.length - open.length,
    withheld,
  };
}

/**
 * The leaf an event that no longer matches its recorded hash keeps, when that is a withholding: the
 * last ContentWithheld naming it says how it is stored now (its hash) and each path it names holds
 * that withholding's marker. Anything else (a change elsewhere, a marker no withholding made) is an edit.
 */
function withheldAs(
  event: RecordedEvent,
  computed: string,
  withholdings: VerifyOptions['withholdings'],
): { leaf: Buffer; by: string; paths: readonly string[] } | undefined {
  const all = withholdings?.get(event.id);
  const last = all?.[all.length - 1];
  if (!last || last.withheldHash !== computed) return undefined;
  for (const path of last.paths) {
    let segments: string[];
    try {
      segments = parsePointer(path, 'path');
    } catch {
      return undefined;
    }
    const marker = parseWithheld(valueAt(event.data, segments));
    if (!marker || marker.by !== last.id || marker.leaf !== last.leafHash) return undefined;
  }
  return { leaf: Buffer.from(last.leafHash, 'hex'), by: last.id, paths: last.paths };
}

/**
 * An acknowledgement covers a mismatch it names (kind and position) that stood in the log before
 * it, and, when it recorded what it saw, only while the same thing is seen there.
 */
function acknowledges(ack: Acknowledgement, mismatch: Mismatch): boolean {
  if (ack.kind !== mismatch.kind || ack.position !== String(mismatch.position)) return false;
  if (mismatch.leafIndex !== undefined && mismatch.leafIndex >= ack.leafIndex) return false;
  return ack.evidence === undefined || ack.evidence === mismatch.evidence;
}

/** One line per finding, for logs and the command line. */
export function describeReport(report: VerifyReport): string {
  const head = `${report.events} events in ${report.streams} streams (${report.chainedEvents} chained, ${report.legacyEvents} legacy in ${report.legacyStreams} streams); tree root ${report.rootHash}`;
  const checkpoint = report.checkpoint
    ? `checkpoint of ${report.checkpoint.size}: ${report.checkpoint.matches ? 'extended' : 'NOT extended'}`
    : 'no checkpoint signed yet';
  const withheld = report.withheld.length ? `; ${report.withheld.length} event(s) withheld (hash kept)` : '';
  if (report.ok) return `OK: ${head}; ${checkpoint}${report.acknowledged ? `; ${report.acknowledged} acknowledged mismatch(es)` : ''}${withheld}`;
  const counts = Object.entries(report.counts).map(([k, n]) => `${n} ${k}`).join(', ');
  return `MISMATCH (${counts}): first: ${report.firstMismatch?.detail}; ${head}; ${checkpoint}`;
}
