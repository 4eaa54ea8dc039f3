import type { ThrottlerStorage } from '@nestjs/throttler';

interface Window {
  start: number;
  hits: number;
  blockedUntil: number;
}

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Idle windows are dropped once this many keys are held, so the map stays small. */
const SWEEP_AT = 10_000;

/**
 * @nestjs/throttler's storage behind its own interface, counting hits in fixed windows: O(1) per
 * request. The library's in-memory storage keeps one timestamp per hit and scans them on every
 * request, so its cost grows with a client's traffic (measured: the dominant cost of a request
 * under load from one address).
 */
export class FixedWindowThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly now: () => number = Date.now) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const now = this.now();
    const id = `${throttlerName}\u0000${key}`;
    let window = this.windows.get(id);
    if (!window || (now - window.start >= ttl && now >= window.blockedUntil)) {
      if (this.windows.size >= SWEEP_AT) this.sweep(now, ttl);
      window = { start: now, hits: 0, blockedUntil: 0 };
      this.windows.set(id, window);
    }
    const wasBlocked = now < window.blockedUntil;
    if (!wasBlocked) window.hits++;
    if (!wasBlocked && window.hits > limit) window.blockedUntil = now + (blockDuration > 0 ? blockDuration : window.start + ttl - now);
    const isBlocked = now < window.blockedUntil;
    return {
      totalHits: window.hits,
      timeToExpire: Math.max(0, Math.ceil((window.start + ttl - now) / 1000)),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((window.blockedUntil - now) / 1000) : 0,
    };
  }

  private sweep(now: number, ttl: number): void {
    for (const [id, window] of this.windows) if (now - window.start >= ttl && now >= window.blockedUntil) this.windows.delete(id);
  }
}
