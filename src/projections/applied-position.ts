/**
 * The log position the read models being served have applied: writers wait on it to read their own
 * writes, and the live fan-out to hold an event until it can be read back. It outlives any one
 * runner, so a rebuild that swaps in new read models keeps every waiter, and it never goes back.
 */
export class AppliedPosition {
  private current = -1n;
  private failure: Error | undefined;
  private readonly waiters = new Set<{ position: bigint; resolve: (reached: boolean) => void; timer?: NodeJS.Timeout }>();

  get position(): bigint {
    return this.current;
  }

  /** Set while the served read models' runner has stopped on a failed projection (until a rebuild swaps in new ones). */
  get error(): Error | undefined {
    return this.failure;
  }

  advance(position: bigint): void {
    if (position > this.current) this.current = position;
    for (const waiter of this.waiters) if (waiter.position <= this.current) this.settle(waiter, true);
  }

  fail(error: Error): void {
    this.failure = error;
    for (const waiter of this.waiters) this.settle(waiter, false);
  }

  /** New read models were swapped in: their runner is healthy and at `position`. */
  recover(position: bigint): void {
    this.failure = undefined;
    this.advance(position);
  }

  /** Resolves true once `position` is applied, false after `timeoutMs` or at once while the projections have failed. */
  waitFor(position: bigint, timeoutMs: number): Promise<boolean> {
    if (this.current >= position) return Promise.resolve(true);
    if (this.failure) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: { position: bigint; resolve: (reached: boolean) => void; timer?: NodeJS.Timeout } = { position, resolve };
      if (Number.isFinite(timeoutMs)) waiter.timer = setTimeout(() => this.settle(waiter, false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Resolves every wait with false (shutdown), so no request hangs on read models that will not move. */
  close(): void {
    for (const waiter of this.waiters) this.settle(waiter, false);
  }

  private settle(waiter: { resolve: (reached: boolean) => void; timer?: NodeJS.Timeout }, reached: boolean): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter as never);
    waiter.resolve(reached);
  }
}
