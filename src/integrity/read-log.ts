import type { EventStore, RecordedEvent } from '../event-store/event-store';

// Pages of 1,000 as the stores' catch-up reads (SUBSCRIPTION_PAGE): 5,000 parsed events outlived the young generation.
const PAGE = 1000;

/** The whole log in global order (or what follows `from`), a page at a time, so that walking it never holds it all in memory. */
export async function* readLog(store: EventStore, from?: bigint): AsyncGenerator<RecordedEvent> {
  let after: bigint | undefined = from;
  for (;;) {
    // Reads from the last position seen, inclusive: EventStoreDB's positions are not consecutive.
    const page = await store.readAll({ fromPosition: after ?? 'start', maxCount: PAGE + 1 });
    const fresh = after === undefined ? page : page.filter((e) => e.position > (after as bigint));
    yield* fresh;
    if (fresh.length === 0 || page.length < PAGE + 1) return;
    after = fresh[fresh.length - 1].position;
  }
}
