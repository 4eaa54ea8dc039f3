import { invalid } from '../domain/errors';
import { holdsSealed, KEY_UNAVAILABLE, replaceSealed, SEALED_PREFIX, type SubjectMark } from '../event-store/subject-seal';
import type { KeyedSubjectSeal } from '../erasure/keyed-seal';
import type { SubjectKeys } from '../event-store/subject-keys';

/**
 * A watch's title as the watcher marked it (docs/erasure.md, "Watches"): the marked passages (or the
 * whole title) are sealed for their subjects when the watch is created, and the title is stored
 * sealed, in watches.db and (shared) in the log's WatchCreated, so that destroying the subject's key
 * is the purge: no copy of the name is ever written to disk. Every surface that shows a title (the
 * watch, its notices, their Atom feed, a webhook's payload, a live notice) opens it as it is shown:
 * the plaintext while the key lives, `[erased on D]` after.
 */
export interface WatchText {
  /**
   * Loads what sealing these fields and marks needs from a shared key store (PostgreSQL: the
   * subjects' keys, made there once for every replica), before `sealTitle`, which is synchronous.
   */
  prepare(fields: Record<string, unknown>, marks: readonly SubjectMark[]): Promise<void>;
  /**
   * The title to store: `fields` is the request body without its marks. Refused (400, as a fact's
   * marks are) when the body holds a sealed token a client wrote, or a marked text also stands in
   * clear elsewhere in the body (an unmarked `text=`: it would stay readable for ever).
   */
  sealTitle(fields: Record<string, unknown>, marks: readonly SubjectMark[]): string | null;
  /** The fields to store (the title and the question's), each marked passage sealed, refused as `sealTitle` refuses. */
  sealFields(fields: Record<string, unknown>, marks: readonly SubjectMark[]): Record<string, unknown>;
  /** Whether the key store knows a subject by this name (a person recorded or marked under it): a question's `entity=` naming one is sealed. */
  knows(name: string): Promise<boolean>;
  /** Loads the keys of the subjects sealed in these stored texts (a shared key store), before they are opened. */
  load(stored: readonly string[]): Promise<void>;
  /** A stored text shown: each sealed token opened (`[erased on D]`, `[key unavailable]`). */
  open(stored: string): string;
}

/** Over the subject key store: the same seal, marks and refusals as every other write. */
export function keyedWatchText(seal: KeyedSubjectSeal, keys?: SubjectKeys): WatchText {
  const sealFields = (fields: Record<string, unknown>, marks: readonly SubjectMark[]) => seal.seal({ type: 'WatchCreated', data: fields }, marks).data;
  return {
    prepare: async (fields, marks) => {
      await seal.prepareToSeal?.([fields], marks);
    },
    sealTitle: (fields, marks) => {
      const title = sealFields(fields, marks).title;
      return typeof title === 'string' ? title : null;
    },
    sealFields,
    knows: async (name) => keys !== undefined && name.trim() !== '' && (await keys.find(name)) !== undefined,
    load: async (stored) => {
      const texts = stored.filter((text) => text.includes(SEALED_PREFIX));
      if (texts.length > 0) await seal.prepareToOpen?.([{ type: 'WatchCreated', data: texts }]);
    },
    open: (stored) => replaceSealed(stored, (token) => seal.openValue(token)),
  };
}

/** Without a key store (a bare store in tests): nothing can be sealed, and a token is never shown, opened or not (fails closed). */
export const WITHOUT_KEYS: WatchText = {
  prepare: async () => undefined,
  sealTitle: (fields, marks) => {
    if (marks.length > 0) throw invalid('subjects: this process holds no subject keys, so nothing can be sealed', 'subjects');
    for (const [field, value] of Object.entries(fields)) {
      if (holdsSealed(value)) throw invalid(`${field} holds "${SEALED_PREFIX}", which only this service writes (a sealed value)`, field);
    }
    return typeof fields.title === 'string' ? fields.title : null;
  },
  sealFields: (fields, marks) => {
    WITHOUT_KEYS.sealTitle(fields, marks);
    return fields;
  },
  knows: async () => false,
  load: async () => undefined,
  open: (stored) => replaceSealed(stored, () => KEY_UNAVAILABLE),
};

/** A title as shown (null stays null). */
export function shownTitle(text: WatchText, stored: string | null): string | null {
  return stored === null ? null : text.open(stored);
}

/** Sealed tokens in a text (whole or a passage's, with its closing `;`), as a split keeps them. */
const TOKENS = /(annals:sealed:v1:[A-Za-z0-9_-]+:?[A-Za-z0-9_-]*;?)/;

/** `text` with each part outside its sealed tokens mapped (a token's payload is base64url: it holds no name to purge or seal again). */
export function mapOutsideTokens(text: string, map: (part: string) => string): string {
  return text
    .split(TOKENS)
    .map((part, i) => (i % 2 === 1 || part === '' ? part : map(part)))
    .join('');
}
