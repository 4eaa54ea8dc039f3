import type { EventStore } from './event-store';

/**
 * The seam through which personal data is sealed before it is hashed and opened on the read path
 * (docs/erasure.md). The store keeps, hashes and proves events exactly as written: a sealed value
 * is an opaque string `annals:sealed:v1:<subject>:<payload>`, so the hash chain and the Merkle tree
 * cover ciphertext, and erasing a subject (destroying its key, src/erasure) leaves every hash and
 * every proof as it was.
 *
 * Lives with the store, as the folded-state cache does, so that handle-command (which seals after
 * `decide`) and the projection runner (which opens before `evolve`) reach it without depending on
 * the key store: whoever owns the keys registers a seal for the store object (`useSubjectSeal`).
 */
export const SEALED_PREFIX = 'annals:sealed:v1:';

/** Shown in place of a sealed value whose key this process does not hold (never the ciphertext, never a crash). */
export const KEY_UNAVAILABLE = '[key unavailable]';

type Stored = { readonly type: string; readonly data: unknown };

export interface SubjectSeal {
  /** The event as it will be stored: values marked as a subject's replaced by sealed strings. */
  seal<E extends Stored>(event: E): E;
  /** The event as read paths see it: each sealed string opened, or replaced by `[erased on D]` / `[key unavailable]`. */
  open<E extends Stored>(event: E): E;
}

/** The seal of a store nobody registered keys for: writes nothing sealed, and opens nothing (fails closed). */
const WITHOUT_KEYS: SubjectSeal = {
  seal: (event) => event,
  open: (event) => mapSealed(event, () => KEY_UNAVAILABLE),
};

const seals = new WeakMap<EventStore, SubjectSeal>();

export function useSubjectSeal(store: EventStore, seal: SubjectSeal): void {
  seals.set(store, seal);
}

export function subjectSealOf(store: EventStore): SubjectSeal {
  return seals.get(store) ?? WITHOUT_KEYS;
}

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}

/**
 * The event with every sealed string anywhere in its data replaced by `replace(it)`; the same
 * object when it holds none (the common case costs a walk, no copy).
 */
export function mapSealed<E extends Stored>(event: E, replace: (sealed: string) => string): E {
  const data = mapValue(event.data, replace);
  return data === event.data ? event : { ...event, data };
}

function mapValue(value: unknown, replace: (sealed: string) => string): unknown {
  if (typeof value === 'string') return isSealed(value) ? replace(value) : value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const mapped = mapValue(item, replace);
      if (mapped !== item) (copy ??= value.slice())[i] = mapped;
    });
    return copy ?? value;
  }
  if (typeof value === 'object' && value !== null) {
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const mapped = mapValue(item, replace);
      if (mapped !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = mapped;
    }
    return copy ?? value;
  }
  return value;
}
