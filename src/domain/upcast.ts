/**
 * The one seam where stored events of older shapes become today's, on the read path: handle-command
 * folds upcast events into a decider's state, the projection runner hands upcast events to every
 * projection, and an export can call it too. The store keeps (and hashes) events exactly as they
 * were written; nothing here writes. Pure and total: an event it does not know passes unchanged.
 *
 * Shapes read here:
 * - ClaimAsserted with `source` (one source; written before claims had several) → `sources: [source]`.
 * - ClaimCorrected whose changes hold `source` → changes `sources: [source]`.
 */
type Stored = { readonly type: string; readonly data: unknown };

export function upcast<E extends Stored>(event: E): E {
  switch (event.type) {
    case 'ClaimAsserted':
      return withData(event, singleSourceToList(event.data));
    case 'ClaimCorrected': {
      const data = event.data as { changes?: unknown };
      if (!isRecord(data) || !isRecord(data.changes)) return event;
      const changes = singleSourceToList(data.changes);
      return changes === data.changes ? event : withData(event, { ...data, changes });
    }
    default:
      return event;
  }
}

/** `{ …, source: S }` → `{ …, sources: [S] }`, in the same place among the keys; anything else unchanged. */
function singleSourceToList(data: unknown): unknown {
  if (!isRecord(data) || data.source === undefined || data.sources !== undefined) return data;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => (key === 'source' ? ['sources', [value]] : [key, value])));
}

function withData<E extends Stored>(event: E, data: unknown): E {
  return data === event.data ? event : { ...event, data };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
