import type { EventStore } from './event-store';
import { parseWithheld, withheldText, WITHHELD_PREFIX } from './withheld';

/**
 * The seam through which personal data is sealed before it is hashed and opened on the read path
 * (docs/erasure.md). The store keeps, hashes and proves events exactly as written: a sealed value
 * is an opaque string `annals:sealed:v1:<subject>:<payload>`, so the hash chain and the Merkle tree
 * cover ciphertext, and erasing a subject (destroying its key, src/erasure) leaves every hash and
 * every proof as it was.
 *
 * A sealed value is either a whole string (a person's name) or a passage inside one (a witness named
 * in a quote): then the token stands in the text followed by `;`, which ends it (base64url has no
 * `;`), so the rest of the text stays readable and the passage alone can be erased. A token's
 * plaintext may hold tokens of other subjects (a passage marked for two people): opening is recursive.
 *
 * Lives with the store, as the folded-state cache does, so that handle-command (which seals after
 * `decide`) and the projection runner (which opens before `evolve`) reach it without depending on
 * the key store: whoever owns the keys registers a seal for the store object (`useSubjectSeal`).
 */
export const SEALED_PREFIX = 'annals:sealed:v1:';

/** Ends a token that stands inside a text; a whole-string token (the first format) has none. */
export const SEALED_END = ';';

/** Every token in a text: the subject id, the payload, and the `;` that ends a passage's token. */
export const SEALED_TOKEN = /annals:sealed:v1:([A-Za-z0-9_-]+):?([A-Za-z0-9_-]*);?/g;

/**
 * An event whose sealed values are packed out of sight (a shared watch's deflated answers) names their
 * subjects in this field of its data, so that a store that loads keys before handing events on
 * (prepareToOpen) loads theirs too. Subject ids only: no personal data.
 */
export const SEALED_SUBJECTS = 'sealedSubjects';

/** The subject ids of the tokens in a text (a whole token or a passage's). */
export function subjectsSealedIn(text: string): string[] {
  const ids = new Set<string>();
  replaceSealed(text, (token) => {
    ids.add(subjectOfToken(token));
    return token;
  });
  return [...ids];
}

/** Shown in place of a sealed value whose key this process does not hold (never the ciphertext, never a crash). */
export const KEY_UNAVAILABLE = '[key unavailable]';

type Stored = { readonly type: string; readonly data: unknown; readonly metadata?: unknown };

/**
 * A write's mark: the value at `path` (an RFC 6901 JSON pointer into the event's data), or only the
 * `passage` of it (every occurrence), belongs to `subject` (a person's name, or a subject id this
 * service gave). `field` names the mark in the request, for errors; `text` is the marked text as the
 * client sent it, which must not be left in clear anywhere in the event (the seal refuses the write).
 */
export interface SubjectMark {
  readonly subject: string;
  readonly path: string;
  readonly passage?: string;
  readonly field?: string;
  readonly text?: string;
}

export interface SubjectSeal {
  /**
   * The event as it will be stored: values marked as a subject's replaced by sealed strings. The
   * kinds of values that are personal by default (persons' names) are sealed whatever `marks` says.
   */
  seal<E extends Stored>(event: E, marks?: readonly SubjectMark[]): E;
  /** The event as read paths see it: each sealed string opened, or replaced by `[erased on D]` / `[key unavailable]`. */
  open<E extends Stored>(event: E): E;
  /**
   * What an Idempotency-Key's request fingerprint is taken of: the command with each text the seal
   * would seal replaced by its subject's id. The fingerprint is stored in clear in the metadata, and a
   * hash of a request whose other values the log shows would let anyone confirm a guessed name.
   */
  pseudonymous?(command: unknown, marks?: readonly SubjectMark[]): unknown;
  /**
   * Before `pseudonymous` and `seal`: the subjects of the persons, claimants and `onBehalfOf` found in
   * `values` (a command, decided events) and of the marks are made or loaded where the keys are shared
   * (handleCommand awaits it; a local key store has nothing to do).
   */
  prepareToSeal?(values: readonly unknown[], marks?: readonly SubjectMark[]): Promise<void>;
  /**
   * Before `open`: the keys of the subjects sealed in these events (and in the tokens nested in them)
   * are held. Called by a store whose key store is shared on every read (postgres-event-store.ts), so
   * a value sealed through another replica opens here.
   */
  prepareToOpen?(events: readonly Stored[]): Promise<void>;
}

/** The seal of a store nobody registered keys for: writes nothing sealed, and opens nothing (fails closed). */
const WITHOUT_KEYS: SubjectSeal = {
  seal: (event) => event,
  open: (event) => mapSealed(event, () => KEY_UNAVAILABLE, true),
};

const seals = new WeakMap<EventStore, SubjectSeal>();

export function useSubjectSeal(store: EventStore, seal: SubjectSeal): void {
  seals.set(store, seal);
}

export function subjectSealOf(store: EventStore): SubjectSeal {
  return seals.get(store) ?? WITHOUT_KEYS;
}

/** A whole string that is one sealed value. */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}

/** A string that holds a sealed value anywhere in it. */
export function holdsSealed(value: unknown): value is string {
  return typeof value === 'string' && value.includes(SEALED_PREFIX);
}

/** The subject id a token names. */
export function subjectOfToken(token: string): string {
  const rest = token.slice(SEALED_PREFIX.length);
  const colon = rest.indexOf(':');
  return colon < 0 ? rest.replace(/;$/, '') : rest.slice(0, colon);
}

/** `text` with each sealed token in it (whole or a passage's) replaced by `replace(token)`. */
export function replaceSealed(text: string, replace: (token: string) => string): string {
  if (!text.includes(SEALED_PREFIX)) return text;
  return text.replace(SEALED_TOKEN, (token) => replace(token.endsWith(SEALED_END) ? token.slice(0, -1) : token));
}

/**
 * The event with every sealed token anywhere in its data, and in its metadata's `onBehalfOf` (the one
 * value of the metadata ever sealed), replaced by `replace(it)` (without its closing `;`); the same
 * object when it holds none (the common case costs a walk of the data, no copy). `opening`: a value
 * withheld (src/event-store/withheld.ts) reads `[withheld on D]` too, as every read path shows it.
 */
export function mapSealed<E extends Stored>(event: E, replace: (sealed: string) => string, opening = false): E {
  const data = mapValue(event.data, replace, opening);
  const metadata = event.metadata as { onBehalfOf?: unknown } | undefined;
  const onBehalfOf = metadata?.onBehalfOf;
  const opened = holdsSealed(onBehalfOf) ? { ...metadata, onBehalfOf: replaceSealed(onBehalfOf, replace) } : undefined;
  if (data === event.data && opened === undefined) return event;
  return { ...event, data, ...(opened === undefined ? {} : { metadata: opened }) };
}

function mapValue(value: unknown, replace: (sealed: string) => string, opening: boolean): unknown {
  if (typeof value === 'string') {
    if (opening && value.startsWith(WITHHELD_PREFIX)) {
      const withheld = parseWithheld(value);
      if (withheld) return withheldText(withheld);
    }
    return holdsSealed(value) ? replaceSealed(value, replace) : value;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const mapped = mapValue(item, replace, opening);
      if (mapped !== item) (copy ??= value.slice())[i] = mapped;
    });
    return copy ?? value;
  }
  if (typeof value === 'object' && value !== null) {
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const mapped = mapValue(item, replace, opening);
      if (mapped !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = mapped;
    }
    return copy ?? value;
  }
  return value;
}
