import { compareWindows, settledBefore } from '../certainty';
import type { DayWindow } from '../edtf';
import type { ClaimRankValue } from './figure.events';

/**
 * A claimant's revision history over the order its dates settle (docs/evidence-model.md, "Revisions").
 * Pure: given the claimant's claims in history order (earliest day, then latest day, then as
 * asserted), it says for each which claim it revises, or that its own place is uncertain.
 *
 * - Only live claims (not retracted) that are not deprecated take part: they are the claims a later
 *   one can revise and the ones that can make another's place uncertain.
 * - Two claims are *partners* when the dates cannot settle their order (their windows overlap).
 * - A claim's place is *uncertain* when it has a partner whose window is no wider than its own: of two
 *   claims whose order the dates cannot settle, the wider window is the uncertain one (an undated or
 *   year-dated claim beside monthly ones is uncertain, the monthly ones keep their places); two of the
 *   same width (two claims of one day) are both uncertain.
 * - A claim whose place is settled revises its *previous* claim: the latest of the claims settled
 *   before it (those settled before no other of them), a claim with a settled place before one
 *   without, then the narrower window, then the later window, then for the same days the higher
 *   rank, then the later record.
 *   The claims that may still lie between the two (partners of either, bar a same-days claim the
 *   previous one outranks) are named beside the revision.
 * - A deprecated claim is never the previous one and is itself given no change; a retracted claim
 *   is revised from its previous one (its record stays readable) but no later claim revises it.
 */
export interface ChainClaim {
  readonly claimId: string;
  readonly window: DayWindow;
  readonly rank: ClaimRankValue;
  /** False for a retracted claim. */
  readonly live: boolean;
}

export interface ChainPlace {
  /** The claim this one revises. */
  readonly previous?: string;
  /** For a revision: claims that may lie between the previous claim and this one. */
  readonly mayLieBetween?: readonly string[];
  /** The place among the claimant's claims is uncertain: these are the claims it may come before or after. */
  readonly uncertainWith?: readonly string[];
}

/** How many claims a list beside one claim names at most (an open window can overlap a whole history). */
export const CHAIN_LIST_LIMIT = 50;

const RANK_ORDER: Record<ClaimRankValue, number> = { deprecated: 0, normal: 1, preferred: 2 };
export const rankOrder = (rank: ClaimRankValue): number => RANK_ORDER[rank];

const sameDays = (a: DayWindow, b: DayWindow): boolean => a.earliest === b.earliest && a.latest === b.latest;
/** How many days a window spans (an open end reaches the first or last day, so it is the widest). */
export const windowWidth = (w: DayWindow): number => (Date.parse(w.latest) - Date.parse(w.earliest)) / 86_400_000 + 1;

/** Claims given in history order; the answer maps each claim id to its place. */
export function revisionChain(claims: readonly ChainClaim[]): Map<string, ChainPlace> {
  const counts = claims.map((c) => c.live && c.rank !== 'deprecated');
  const widths = claims.map((c) => windowWidth(c.window));
  const partners: number[][] = [];
  const uncertain: boolean[] = [];
  const previous: (number[] | undefined)[] = [];
  // One sweep in history order (earliest day first). `reaching` holds the claims taking part so far
  // whose last day reaches the current claim's first: exactly its partners before it. A claim that no
  // longer reaches leaves it (by its last day, through a heap) for `ended`, kept in the order of their
  // last days: the claims settled before the current one, whose latest ones end the log.
  const reaching = new Set<number>();
  const byLatest = new MinHeap<number>((a, b) => claims[a].window.latest < claims[b].window.latest);
  const ended: number[] = [];
  let endedStart = '';
  claims.forEach((c, i) => {
    const own = c.window;
    while (byLatest.size > 0 && claims[byLatest.peek()!].window.latest < own.earliest) {
      const j = byLatest.pop()!;
      reaching.delete(j);
      ended.push(j);
      if (claims[j].window.earliest > endedStart) endedStart = claims[j].window.earliest;
    }
    const before = [...reaching].sort((a, b) => a - b);
    let isUncertain = before.some((j) => widths[j] <= widths[i]);
    // After it: a run of claims starting by its last day (history order sorts by first day).
    const after: number[] = [];
    for (let j = i + 1; j < claims.length && claims[j].window.earliest <= own.latest; j++) {
      if (!counts[j]) continue;
      if (widths[j] <= widths[i]) isUncertain = true;
      if (after.length < CHAIN_LIST_LIMIT) after.push(j);
      else if (isUncertain) break;
    }
    partners.push(nearest(before, after));
    uncertain.push(isUncertain);
    // The latest of those settled before it: the ended claims whose last day reaches the latest first day among them.
    const latest: number[] = [];
    for (let k = ended.length - 1; k >= 0 && claims[ended[k]].window.latest >= endedStart; k--) latest.push(ended[k]);
    previous.push(latest.length > 0 ? latest : undefined);
    if (counts[i]) {
      reaching.add(i);
      byLatest.push(i);
    }
  });

  const places = new Map<string, ChainPlace>();
  const ids = (indexes: number[]) => indexes.map((j) => claims[j].claimId);
  claims.forEach((c, i) => {
    if (uncertain[i]) {
      places.set(c.claimId, { uncertainWith: ids(partners[i]) });
      return;
    }
    const candidates = c.rank === 'deprecated' ? undefined : previous[i];
    if (candidates === undefined) {
      places.set(c.claimId, {});
      return;
    }
    const p = candidates.reduce((best, j) => (better(j, best) ? j : best));
    const between = [...new Set([...partners[p], ...partners[i]])]
      .filter((j) => j !== p && j !== i)
      .filter((j) => !(sameDays(claims[j].window, claims[p].window) && rankOrder(claims[j].rank) < rankOrder(claims[p].rank)))
      .sort((a, b) => a - b)
      .slice(0, CHAIN_LIST_LIMIT);
    places.set(c.claimId, between.length > 0 ? { previous: claims[p].claimId, mayLieBetween: ids(between) } : { previous: claims[p].claimId });
  });
  return places;

  function better(a: number, b: number): boolean {
    const [x, y] = [claims[a], claims[b]];
    if (uncertain[a] !== uncertain[b]) return !uncertain[a];
    // Of claims whose places are all uncertain, the narrowest window says most about when it came.
    if (widths[a] !== widths[b]) return widths[a] < widths[b];
    const byWindow = compareWindows(x.window, y.window);
    if (byWindow !== 0) return byWindow > 0;
    if (x.rank !== y.rank) return rankOrder(x.rank) > rankOrder(y.rank);
    return a > b;
  }
}

/** At most CHAIN_LIST_LIMIT partners, the nearest in history order on each side. */
function nearest(before: number[], after: number[]): number[] {
  if (before.length + after.length <= CHAIN_LIST_LIMIT) return [...before, ...after];
  const half = Math.max(CHAIN_LIST_LIMIT - after.length, CHAIN_LIST_LIMIT / 2);
  const kept = before.slice(-half);
  return [...kept, ...after.slice(0, CHAIN_LIST_LIMIT - kept.length)];
}

/** A binary heap: the smallest first, by `less`. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      for (let i = 0; ; ) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let smallest = i;
        if (l < items.length && this.less(items[l], items[smallest])) smallest = l;
        if (r < items.length && this.less(items[r], items[smallest])) smallest = r;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest], items[i]];
        i = smallest;
      }
    }
    return top;
  }
}

/** A claim as the latest-claim rule sees it: its days, rank, and its place in the record (later wins a full tie). */
export interface RankedClaim {
  readonly window: DayWindow;
  readonly rank: ClaimRankValue;
  readonly order: number;
}

/**
 * A claimant's latest claim certainly made by a day, given the claim latest by its days (`byDays`:
 * the latest window, for the same days the higher rank) and the claims that are not settled before
 * it, `certain` saying which of those were certainly made by then. A claim whose order against the
 * latest is unsettled may be newer, but only possibly: it never displaces a higher-ranked one. So the
 * latest is the highest-ranked of the claims settled before no other certain one, then the later
 * window, then the later record. A deprecated `byDays` means the claimant has nothing else.
 */
export function latestClaim<T extends RankedClaim>(byDays: T, unsettled: readonly T[], certain: (claim: T) => boolean): T {
  if (byDays.rank === 'deprecated') return byDays;
  let best = byDays;
  for (const claim of unsettled) {
    if (claim === byDays || claim.rank === 'deprecated' || !certain(claim) || settledBefore(claim.window, byDays.window)) continue;
    const byRank = rankOrder(claim.rank) - rankOrder(best.rank);
    if (byRank > 0 || (byRank === 0 && (compareWindows(claim.window, best.window) || claim.order - best.order) > 0)) best = claim;
  }
  return best;
}

/**
 * The claims that may be newer than the latest one: not deprecated, not settled before it, and not
 * of its very days with a lower rank (the rank settled that).
 */
export function possiblyNewerThan<T extends RankedClaim>(latest: T, claims: readonly T[]): T[] {
  return claims.filter(
    (c) =>
      c !== latest &&
      c.rank !== 'deprecated' &&
      !settledBefore(c.window, latest.window) &&
      !(sameDays(c.window, latest.window) && rankOrder(c.rank) < rankOrder(latest.rank)),
  );
}
