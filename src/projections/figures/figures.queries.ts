import type Database from 'better-sqlite3';
import type { ReadModelSource } from '../read-model-database';
import { claimValueBounds, type ClaimAsserted, type FigureDefined } from '../../domain/figure/figure.events';

export interface FigureFilter {
  /** Each claimant's latest claim asserted by this day ('YYYY-MM-DD'). */
  readonly asOf?: string;
  /** What the service said at this instant. */
  readonly knownAt?: Date;
}

export interface ClaimView extends ClaimAsserted {
  readonly status: 'asserted' | 'retracted';
  readonly low: number;
  readonly high: number;
  readonly recordedAt: string;
  readonly position: string;
}

export interface HistoryEntry {
  readonly kind: 'asserted' | 'revised' | 'corrected' | 'retracted';
  readonly claimId: string;
  readonly claimant: string;
  readonly assertedOn: string;
  readonly value: ClaimAsserted['value'];
  /** For a revision: the claimant's previous claim and how far the number moved. */
  readonly previous?: { readonly claimId: string; readonly assertedOn: string; readonly value: ClaimAsserted['value'] };
  readonly change?: { readonly low: number; readonly high: number; readonly ratio: number | null };
  readonly actor: string | null;
  readonly reason: string | null;
  readonly recordedAt: string;
  readonly position: string;
}

export interface FigureSummary extends FigureDefined {
  readonly id: string;
  readonly revision: string;
  readonly asOf: string | null;
  readonly knownAt: string | null;
  /** Latest claim per claimant, lowest first. */
  readonly claims: ClaimView[];
  readonly spread: { readonly low: number; readonly high: number; readonly ratio: number | null } | null;
}

export interface FigureView extends FigureSummary {
  /** Per claimant, in the order they said them; corrections and retractions marked. */
  readonly history: Record<string, HistoryEntry[]>;
}

interface ClaimRow {
  claim_id: string;
  claimant: string;
  asserted_start: string;
  asserted_position: number;
  status: 'asserted' | 'retracted';
  position: number;
  event_type: string;
  actor: string | null;
  reason: string | null;
  recorded_from: number;
  recorded_to: number | null;
  body: string;
}

/** Figure reads: one indexed read of the figure's claim versions, then grouping in memory. */
export class FigureQueries {
  private figureRow!: Database.Statement;
  private claimRows!: Database.Statement;
  private list!: Database.Statement;
  private claimants!: Database.Statement;
  private latestOfClaimant!: Database.Statement;
  private revisionAt!: Database.Statement;
  private inForce!: Database.Statement;
  private preparedOn: Database.Database | undefined;
  private readonly source: ReadModelSource;

  /** A source whose connection may be swapped by a rebuild, or one fixed connection. */
  constructor(source: ReadModelSource | Database.Database) {
    this.source = 'prepare' in source ? { db: source } : source;
  }

  /** Statements belong to a connection: prepared again on the new one after a swap. */
  private prepared(): this {
    const db = this.source.db;
    if (this.preparedOn === db) return this;
    this.preparedOn = db;
    this.revisionAt = db
      .prepare('SELECT revision FROM claim_versions WHERE figure_id = ? AND recorded_from <= ? ORDER BY revision DESC LIMIT 1')
      .pluck();
    this.claimants = db.prepare('SELECT claimant FROM figure_claimants WHERE figure_id = ?').pluck();
    // Walks one claimant's claims of one figure, latest assertion first, to the first in force at @at.
    this.latestOfClaimant = db.prepare(
      `SELECT claim_id, claimant, asserted_start, asserted_position, status, position, event_type, actor, reason, recorded_from, recorded_to, body
       FROM claim_versions
       WHERE figure_id = @figureId AND claimant = @claimant AND asserted_start <= @asOf AND status = 'asserted'
         AND recorded_from <= @at AND (recorded_to IS NULL OR recorded_to > @at)
       ORDER BY asserted_start DESC, asserted_position DESC LIMIT 1`,
    );
    this.figureRow = db.prepare('SELECT figure_id, recorded_at, body FROM figures WHERE figure_id = ? AND recorded_at <= ?');
    this.claimRows = db.prepare(
      `SELECT claim_id, claimant, asserted_start, asserted_position, status, position, event_type, actor, reason, recorded_from, recorded_to, body
       FROM claim_versions WHERE figure_id = ? AND recorded_from <= ? ORDER BY revision`,
    );
    this.list = db.prepare('SELECT figure_id, body FROM figures WHERE recorded_at <= ? ORDER BY figure_id LIMIT ? OFFSET ?');
    this.inForce = db.prepare(
      `SELECT claim_id, claimant, asserted_start, asserted_position, status, position, event_type, actor, reason, recorded_from, recorded_to, body
       FROM claim_versions
       WHERE figure_id = @figureId AND asserted_start <= @asOf AND status = 'asserted' AND recorded_from <= @at AND (recorded_to IS NULL OR recorded_to > @at)
       ORDER BY asserted_start, asserted_position`,
    );
    return this;
  }

  /** Figures with their latest claims and spread, without histories: one indexed lookup per claimant. */
  figures(filter: FigureFilter, limit: number, offset: number): FigureSummary[] {
    const rows = this.prepared().list.all(instant(filter), limit, offset) as FigureRow[];
    return rows.map((row) => this.summary(row, filter));
  }

  /** A figure with its latest claims, spread and every claimant's history. */
  figure(figureId: string, filter: FigureFilter = {}): FigureView | undefined {
    const at = instant(filter);
    const row = this.prepared().figureRow.get(figureId, at) as FigureRow | undefined;
    if (!row) return undefined;
    const rows = this.claimRows.all(figureId, at) as ClaimRow[];
    const visible = rows.filter((r) => r.recorded_to === null || r.recorded_to > at);
    return { ...this.summary(row, filter), history: history(rows, visible, filter.asOf) };
  }

  /** Every claim of the figure in force (not retracted, as corrected) at knownAt and asserted by asOf, in assertion order: the figure's sheet. */
  claims(figureId: string, filter: FigureFilter = {}): ClaimView[] {
    const rows = this.prepared().inForce.all({ figureId, asOf: filter.asOf ?? '9999-12-31', at: instant(filter) }) as ClaimRow[];
    return rows.map(toClaimView);
  }

  private summary(row: FigureRow, filter: FigureFilter): FigureSummary {
    const params = { figureId: row.figure_id, asOf: filter.asOf ?? '9999-12-31', at: instant(filter) };
    const latest = (this.claimants.all(row.figure_id) as string[])
      .map((claimant) => this.latestOfClaimant.get({ ...params, claimant }) as ClaimRow | undefined)
      .filter((r): r is ClaimRow => r !== undefined);
    const claims = latest.map(toClaimView).sort((a, b) => a.low - b.low || a.claimant.localeCompare(b.claimant));
    // The figure's stream revision (at knownAt): every event after its definition (revision 0) is a claim version.
    const revision = (this.revisionAt.get(row.figure_id, params.at) as number | undefined) ?? 0;
    return {
      id: row.figure_id,
      ...(JSON.parse(row.body) as FigureDefined),
      revision: String(revision),
      asOf: filter.asOf ?? null,
      knownAt: filter.knownAt?.toISOString() ?? null,
      claims,
      spread: spread(claims),
    };
  }
}

interface FigureRow {
  figure_id: string;
  body: string;
}

function instant(filter: FigureFilter): number {
  return filter.knownAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
}

function toClaimView(row: ClaimRow): ClaimView {
  const claim = JSON.parse(row.body) as ClaimAsserted;
  return {
    ...claim,
    status: row.status,
    ...claimValueBounds(claim.value),
    recordedAt: new Date(row.recorded_from).toISOString(),
    position: String(row.position),
  };
}

function byAssertion(a: ClaimRow, b: ClaimRow): number {
  return a.asserted_start < b.asserted_start ? -1 : a.asserted_start > b.asserted_start ? 1 : a.asserted_position - b.asserted_position;
}

function spread(claims: ClaimView[]): FigureSummary['spread'] {
  if (claims.length === 0) return null;
  const low = Math.min(...claims.map((c) => c.low));
  const high = Math.max(...claims.map((c) => c.high));
  return { low, high, ratio: low > 0 ? round(high / low) : null };
}

/**
 * Each claimant's record: assertions in the order the claimant made them (a later one is a
 * revision, with the change from the live claim before it), and our corrections and retractions
 * of those records. `rows` are every version recorded by then; `visible` the ones in force then.
 */
function history(rows: ClaimRow[], visible: ClaimRow[], asOf: string | undefined): Record<string, HistoryEntry[]> {
  // A claim is in scope by the day it is asserted now (a correction may have moved that day).
  const current = new Map(visible.map((r) => [r.claim_id, r]));
  const inScope = (row: ClaimRow) => asOf === undefined || (current.get(row.claim_id) ?? row).asserted_start <= asOf;
  const previousOf = new Map<string, ClaimRow>();
  const lastLive = new Map<string, ClaimRow>();
  for (const row of visible.filter(inScope).sort(byAssertion)) {
    const prior = lastLive.get(row.claimant);
    if (prior) previousOf.set(row.claim_id, prior);
    if (row.status === 'asserted') lastLive.set(row.claimant, row);
  }
  // A claim whose claimant we corrected stays under the claimant it has now, with its whole record.
  const byClaimant: Record<string, { row: ClaimRow; entry: HistoryEntry }[]> = {};
  for (const row of rows.filter(inScope)) {
    const claimant = (current.get(row.claim_id) ?? row).claimant;
    (byClaimant[claimant] ??= []).push({ row, entry: { ...entryOf(row, previousOf.get(row.claim_id)), claimant } });
  }
  return Object.fromEntries(
    Object.entries(byClaimant).map(([claimant, entries]) => [
      claimant,
      entries.sort((a, b) => byAssertion(a.row, b.row) || a.row.position - b.row.position).map((e) => e.entry),
    ]),
  );
}

function entryOf(row: ClaimRow, previous: ClaimRow | undefined): HistoryEntry {
  const claim = JSON.parse(row.body) as ClaimAsserted;
  const base = {
    claimId: row.claim_id,
    claimant: row.claimant,
    assertedOn: claim.assertedOn,
    value: claim.value,
    actor: row.actor,
    reason: row.reason,
    recordedAt: new Date(row.recorded_from).toISOString(),
    position: String(row.position),
  };
  if (row.event_type === 'ClaimCorrected') return { kind: 'corrected', ...base };
  if (row.event_type === 'ClaimRetracted') return { kind: 'retracted', ...base };
  if (!previous) return { kind: 'asserted', ...base };
  const before = JSON.parse(previous.body) as ClaimAsserted;
  const now = claimValueBounds(claim.value);
  const then = claimValueBounds(before.value);
  return {
    kind: 'revised',
    ...base,
    previous: { claimId: previous.claim_id, assertedOn: before.assertedOn, value: before.value },
    change: { low: now.low - then.low, high: now.high - then.high, ratio: then.high > 0 ? round(now.high / then.high) : null },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
