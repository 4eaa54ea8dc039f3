/**
 * A claimant's history order, in one place: first the days its assertedOn can mean (earliest, then
 * latest: edtf.ts), then the order it was asserted in (the assertion's log position). Every
 * statement that sorts claims, seeks a history cursor or walks back from asOf, the index it walks,
 * and any code that orders claims in memory take it from here, so they cannot drift apart.
 */

/** The claim_versions columns of the order, most significant first. */
export const CLAIM_ORDER_COLUMNS = ['asserted_earliest', 'asserted_latest', 'asserted_position'] as const;

/** `claim_versions_possible`'s key after (figure_id, claimant): a history page is a seek and a walk of it. */
export const CLAIM_ORDER_INDEX = CLAIM_ORDER_COLUMNS.join(', ');

export interface ClaimOrderOptions {
  /** The table alias the columns belong to (`p` → `p.asserted_earliest`). */
  readonly alias?: string;
  /** Latest first: the walk back from asOf. */
  readonly descending?: boolean;
  /** A column that sorts the ties of one window of days before the assertion order does (the rank). */
  readonly windowTies?: string;
}

/** The ORDER BY list of history order, e.g. `asserted_earliest, asserted_latest, asserted_position`. */
export function claimOrderBy(options: ClaimOrderOptions = {}): string {
  const column = (name: string) => (options.alias ? `${options.alias}.${name}` : name) + (options.descending ? ' DESC' : '');
  const [earliest, latest, position] = CLAIM_ORDER_COLUMNS;
  const tie = options.windowTies === undefined ? [] : [column(options.windowTies)];
  return [column(earliest), column(latest), ...tie, column(position)].join(', ');
}

/**
 * The claims strictly after (`>`) or before (`<`) the key bound as @earliest, @latest, @assertedPosition
 * in history order: one row-value comparison, which SQLite answers as a seek into the index.
 */
export function claimOrderBeyond(direction: '<' | '>', alias?: string): string {
  const columns = CLAIM_ORDER_COLUMNS.map((name) => (alias ? `${alias}.${name}` : name)).join(', ');
  return `(${columns}) ${direction} (@earliest, @latest, @assertedPosition)`;
}

/** A claim's place in history order; also the named parameters of claimOrderBeyond. */
export interface ClaimOrderKey {
  readonly earliest: string;
  readonly latest: string;
  readonly assertedPosition: number;
}

export function claimOrderKey(row: { readonly asserted_earliest: string; readonly asserted_latest: string; readonly asserted_position: number }): ClaimOrderKey {
  return { earliest: row.asserted_earliest, latest: row.asserted_latest, assertedPosition: row.asserted_position };
}

/** History order in memory, the same as claimOrderBy() (days are YYYY-MM-DD, so text order is day order). */
export function compareClaimOrder(a: ClaimOrderKey, b: ClaimOrderKey): number {
  if (a.earliest !== b.earliest) return a.earliest < b.earliest ? -1 : 1;
  if (a.latest !== b.latest) return a.latest < b.latest ? -1 : 1;
  return a.assertedPosition - b.assertedPosition;
}
