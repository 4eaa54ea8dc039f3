import type { ModuleRef } from '@nestjs/core';
import type { SharedWatches } from '../watches/shared-watches';
import type { WatchLease } from '../watches/watch-lease';
import { SHARED_WATCHES } from '../watches/watches.module';

/** This replica's side of the watch lease, when watches are shared through the engine; undefined on a single node (or an app without watches). */
export function watchLeaseOf(moduleRef: ModuleRef): WatchLease | undefined {
  try {
    return moduleRef.get<SharedWatches | null>(SHARED_WATCHES, { strict: false })?.lease;
  } catch {
    return undefined;
  }
}
