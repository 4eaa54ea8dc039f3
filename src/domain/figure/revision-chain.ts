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
 *   without, then the later window, then for the same days the higher rank, then the later record.
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
  const counts = (c: ChainClaim) => c.live && c.rank !== 'deprecated';
  // For each claim, the claims that take part and whose order against it the dates cannot settle.
  // History order sorts by earliest day, so partners after a claim are a run that stops at the first
  // one starting after its last day; before it, a scan back that stops once nothing earlier reaches it.
  const reach: string[] = [];
  let furthest = '';
  for (const c of claims) {
    if (counts(c) && c.window.latest > furthest) furthest = c.window.latest;
    reach.push(furthest);
  }
  const partnersOf = (i: number): number[] => {
    const own = claims[i].window;
    const found: number[] = [];
    for (let j = i - 1; j >= 0 && reach[j] >= own.earliest; j--) {
      if (counts(claims[j]) && !settledBefore(claims[j].window, own)) found.push(j);
    }
    found.reverse();
    for (let j = i + 1; j < claims.length && claims[j].window.earliest <= own.latest; j++) {
      if (counts(claims[j])) found.push(j);
    }
    return found;
  };
  const partners = claims.map((_, i) => partnersOf(i));
  const widths = claims.map((c) => windowWidth(c.window));
  const uncertain = claims.map((_, i) => partners[i].some((j) => widths[j] <= widths[i]));

  const places = new Map<string, ChainPlace>();
  claims.forEach((c, i) => {
    const ids = (indexes: number[]) => indexes.slice(0, CHAIN_LIST_LIMIT).map((j) => claims[j].claimId);
    if (uncertain[i]) {
      places.set(c.claimId, { uncertainWith: ids(partners[i]) });
      return;
    }
    const previous = c.rank === 'deprecated' ? undefined : previousOf(i);
    if (previous === undefined) {
      places.set(c.claimId, {});
      return;
    }
    const p = claims[previous];
    const between = [...new Set([...partners[previous], ...partners[i]])]
      .filter((j) => j !== previous && j !== i)
      .filter((j) => !(sameDays(claims[j].window, p.window) && rankOrder(claims[j].rank) < rankOrder(p.rank)))
      .sort((a, b) => a - b);
    places.set(c.claimId, between.length > 0 ? { previous: p.claimId, mayLieBetween: ids(between) } : { previous: p.claimId });
  });
  return places;

  /** The latest of the claims settled before claim i, by the rule above; undefined when there is none. */
  function previousOf(i: number): number | undefined {
    const own = claims[i].window;
    // Settled-before claims all sort before claim i; the last of them in history order starts latest,
    // and the latest ones are those reaching that start (any other is settled before it).
    let last = -1;
    for (let j = i - 1; j >= 0; j--) {
      if (counts(claims[j]) && settledBefore(claims[j].window, own)) {
        last = j;
        break;
      }
    }
    if (last < 0) return undefined;
    const start = claims[last].window.earliest;
    let best = last;
    for (let j = last - 1; j >= 0 && reach[j] >= start; j--) {
      const other = claims[j];
      if (!counts(other) || !settledBefore(other.window, own) || other.window.latest < start) continue;
      if (better(j, best)) best = j;
    }
    return best;
  }

  function better(a: number, b: number): boolean {
    const [x, y] = [claims[a], claims[b]];
    if (uncertain[a] !== uncertain[b]) return !uncertain[a];
    const byWindow = compareWindows(x.window, y.window);
    if (byWindow !== 0) return byWindow > 0;
    if (x.rank !== y.rank) return rankOrder(x.rank) > rankOrder(y.rank);
    return a > b;
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
