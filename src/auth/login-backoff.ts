import { normalizeIp } from '@nestjs/throttler';

/** Failures a (key, address) pair gets before it must wait; then 1 s, 2 s, 4 s … up to a minute. */
const FREE_FAILURES = 3;
const BASE_MS = 1000;
const MAX_MS = 60_000;
/** Bounds the memory an attacker spraying keys from many addresses can make it use. */
const MAX_ENTRIES = 10_000;

/**
 * Wrong logins slow down the pair they come from: the presented key (its hash) and the address.
 * So a burst of wrong keys from an address never delays a correct key from it (a correct key's pair
 * has no failures), and a correct login is answered at once. Guessing a 256-bit key is out of reach
 * anyway: the backoff keeps one caller from spending the service's time on a key it keeps retrying.
 */
export class LoginBackoff {
  private readonly pairs = new Map<string, { failures: number; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds this pair must still wait before it may try again; 0 when it may. */
  waitMs(keyHash: string, address: string): number {
    const entry = this.pairs.get(pairOf(keyHash, address));
    return entry ? Math.max(0, entry.until - this.now()) : 0;
  }

  failed(keyHash: string, address: string): void {
    const pair = pairOf(keyHash, address);
    const failures = (this.pairs.get(pair)?.failures ?? 0) + 1;
    const wait = failures <= FREE_FAILURES ? 0 : Math.min(MAX_MS, BASE_MS * 2 ** (failures - FREE_FAILURES - 1));
    this.pairs.delete(pair);
    this.pairs.set(pair, { failures, until: this.now() + wait });
    if (this.pairs.size > MAX_ENTRIES) this.pairs.delete(this.pairs.keys().next().value as string);
  }

  succeeded(keyHash: string, address: string): void {
    this.pairs.delete(pairOf(keyHash, address));
  }
}

function pairOf(keyHash: string, address: string): string {
  return `${normalizeIp(address, 64)}|${keyHash}`;
}
