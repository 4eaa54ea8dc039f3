import { eventDeclaration } from './domain-events';

/**
 * The one seam where stored events of older shapes become today's, on the read path: handle-command
 * folds upcast events into a decider's state, the projection runner hands upcast events to every
 * projection, and an export can call it too. The store keeps (and hashes) events exactly as they
 * were written; nothing here writes. Pure and total: an event it does not know passes unchanged.
 *
 * Each event type's declaration names its upcasters (domain-events.ts lists them); those today:
 * - ClaimAsserted with `source` (one source; written before claims had several) → `sources: [source]`.
 * - ClaimCorrected whose changes hold `source` → changes `sources: [source]`.
 */
type Stored = { readonly type: string; readonly data: unknown };

export function upcast<E extends Stored>(event: E): E {
  const upcasters = eventDeclaration(event.type)?.upcasters;
  if (!upcasters) return event;
  const data = upcasters.reduce((value, upcaster) => upcaster(value), event.data);
  return data === event.data ? event : { ...event, data };
}
