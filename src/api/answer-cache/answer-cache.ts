import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { ANNALS_CONFIG, type AnnalsConfig } from '../../config';
import { AppliedPosition } from '../../projections/applied-position';
import { MerkleTree } from '../../projections/merkle/merkle-tree';
import { ReadModels } from '../../projections/read-models';

/** The content codings served, best first; identity is what is hashed and kept. */
export type Coding = 'br' | 'gzip' | 'identity';
export const CODINGS: readonly Coding[] = ['br', 'gzip', 'identity'];

/** Below this an answer travels as it is: compressing it saves less than the header costs (as @fastify/compress). */
export const COMPRESS_THRESHOLD = 1024;

/** Brotli at quality 4 is @fastify/compress's default too: most of the gain of 11 for a small share of its time. */
const BROTLI_OPTIONS = { params: { [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_QUALITY]: 4 } };

/** Counted per entry on top of its bytes: the key, the object and the map's own slot. */
const ENTRY_OVERHEAD = 256;

/**
 * When an answer was computed. `past`: its knownAt lies before the record time of an event the
 * read models have applied, and record times never go back, so no later event can change it.
 * Otherwise it holds at the applied position it was computed at, until the next event is applied.
 */
export type Validity = { readonly past: true } | { readonly past: false; readonly position: bigint };

export interface CachedAnswer {
  readonly validity: Validity;
  /** The read models it was computed on: a rebuild's swap starts a new generation. */
  readonly generation: number;
  readonly etag: string;
  /** The JSON bytes as the handler's answer serialises (what a receipt hashes). */
  readonly identity: Buffer;
  readonly encoded: Partial<Record<Exclude<Coding, 'identity'>, Buffer>>;
}

/**
 * The in-memory answer cache: answers of citable reads by request (path and normalised query),
 * bounded in bytes (ANNALS_ANSWER_CACHE_BYTES, least recently used out first). An entry answers
 * only while it is still true: a past-knownAt answer for as long as the read models it was
 * computed on are served, any other only at the applied position it was computed at.
 */
@Injectable()
export class AnswerCache {
  private readonly entries: LRUCache<string, CachedAnswer> | undefined;
  private servedDb: ReadModels['db'] | undefined;
  private servedPurges = 0;
  private currentGeneration = 0;
  private recordTime: { position: bigint; time: number } = { position: -1n, time: Number.NEGATIVE_INFINITY };

  constructor(
    private readonly applied: AppliedPosition,
    private readonly readModels: ReadModels,
    private readonly tree: MerkleTree,
    @Inject(ANNALS_CONFIG) config: AnnalsConfig,
  ) {
    const maxSize = config.answerCacheBytes;
    this.entries =
      maxSize > 0
        ? new LRUCache<string, CachedAnswer>({
            maxSize,
            sizeCalculation: (entry, key) => sizeOf(entry, key),
          })
        : undefined;
  }

  /** Bytes held, as counted against the bound. */
  get bytes(): number {
    return this.entries?.calculatedSize ?? 0;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /**
   * The read models being served, by generation: a rebuild swaps in new ones (perhaps of a
   * projection that now answers differently at the same position), and every entry of the old
   * ones goes at once.
   */
  generation(): number {
    const db = this.readModels.db;
    // An erasure's purge rewrites rows in place: answers of before may hold what it erased.
    const purges = this.readModels.purges;
    if (db !== this.servedDb || purges !== this.servedPurges) {
      if (this.servedDb !== undefined) this.currentGeneration++;
      this.servedDb = db;
      this.servedPurges = purges;
      this.entries?.clear();
      this.recordTime = { position: -1n, time: Number.NEGATIVE_INFINITY };
    }
    return this.currentGeneration;
  }

  /**
   * How long an answer at `knownAt` (undefined: now) computed from here on stays true. Read before
   * the answer is computed: the read models can only move forward meanwhile, so the answer holds at
   * least what this names.
   */
  validityOf(knownAt: number | undefined): Validity {
    const position = this.applied.position;
    if (knownAt !== undefined && knownAt < this.lastRecordTime(position)) return { past: true };
    return { past: false, position };
  }

  get(key: string, generation: number, validity: Validity): CachedAnswer | undefined {
    const entry = this.entries?.get(key);
    if (!entry || entry.generation !== generation) return undefined;
    if (entry.validity.past) return entry;
    return !validity.past && entry.validity.position === validity.position ? entry : undefined;
  }

  /** Kept unless the read models were swapped while it was computed (it may be the old ones' answer). */
  set(key: string, entry: CachedAnswer): void {
    if (entry.generation === this.generation()) this.entries?.set(key, entry);
  }

  /** The entry's bytes in `coding`, compressed once and kept with it. */
  encoded(key: string, entry: CachedAnswer, coding: Coding): Buffer {
    if (coding === 'identity') return entry.identity;
    let bytes = entry.encoded[coding];
    if (!bytes) {
      bytes = coding === 'br' ? brotliCompressSync(entry.identity, BROTLI_OPTIONS) : gzipSync(entry.identity);
      entry.encoded[coding] = bytes;
      // Set again so that its size counts the new bytes (an entry no longer cached stays out).
      if (this.entries?.peek(key) === entry) this.entries.set(key, entry);
    }
    return bytes;
  }

  clear(): void {
    this.entries?.clear();
  }

  /** The record time of the last applied event, read again only when the applied position moved. */
  private lastRecordTime(position: bigint): number {
    if (position !== this.recordTime.position) {
      let time = Number.NEGATIVE_INFINITY;
      try {
        time = position < 0n ? time : (this.tree.leafByPosition(position)?.recordedAt.getTime() ?? time);
      } catch {
        // Read models of an older schema served during a rebuild: nothing is called past, so nothing is kept for ever.
      }
      this.recordTime = { position, time };
    }
    return this.recordTime.time;
  }
}

/** A weak validator: the same for every content coding of the same JSON bytes. */
export function etagOf(identity: Buffer): string {
  return `W/"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`;
}

function sizeOf(entry: CachedAnswer, key: string): number {
  return ENTRY_OVERHEAD + key.length * 2 + entry.etag.length * 2 + entry.identity.length + (entry.encoded.br?.length ?? 0) + (entry.encoded.gzip?.length ?? 0);
}
