import type Database from 'better-sqlite3';
import type { ReadModelSource } from '../read-model';
import { invalid } from '../../domain/errors';
import type { FactRecorded } from '../../domain/fact/fact.events';
import type { Certainty } from '../../domain/certainty';
import { certaintyOn, certaintyOnDays, isPeriod, shownDays, validDays, validTimePrecision, type Precision } from '../../domain/valid-time';
import { certaintyBy } from '../../domain/certainty';
import { holdsViews, sharedView, viewFromText, viewText } from '../answer-text';

export interface TimelineFilter {
  /** The world on this day ('YYYY-MM-DD'): facts that may have happened by then. */
  readonly asOf?: string;
  /** What the service said at this instant: later events ignored. */
  readonly knownAt?: Date;
  /** Valid-time window, days inclusive. */
  readonly from?: string;
  readonly to?: string;
  readonly tag?: string;
  readonly entity?: string;
  readonly text?: string;
  readonly includeRetracted?: boolean;
}

export interface TimelinePage extends TimelineFilter {
  readonly limit: number;
  readonly cursor?: string;
  readonly order?: 'asc' | 'desc';
}

export interface FactView extends FactRecorded {
  readonly id: string;
  readonly kind: 'event' | 'state';
  /** Of its date, or of its start: 'window' for a date known only within bounds. */
  readonly precision: Precision;
  /** The days its valid time can mean, beside the text as given (null: no bound). */
  readonly validDays: ReturnType<typeof shownDays>;
  /**
   * With asOf only: in the timeline, whether it had certainly or only possibly happened (or begun)
   * by then; in inEffect, whether it certainly or only possibly held that day.
   */
  readonly certainty?: Certainty;
  readonly status: 'recorded' | 'retracted';
  /** The fact stream's revision this version comes from: the ETag for a conditional write. */
  readonly revision: string;
  readonly position: string;
  /** When the service stored the event that made this version. */
  readonly recordedAt: string;
  readonly lastChange: { readonly type: string; readonly actor: string | null; readonly reason: string | null };
}

export interface VersionRow {
  version_id: number;
  fact_id: string;
  revision: number;
  position: number;
  event_type: string;
  actor: string | null;
  reason: string | null;
  recorded_from: number;
  status: 'recorded' | 'retracted';
  kind: 'event' | 'state';
  sort_key: string;
  body: string;
}

const COLUMNS = 'v.version_id, v.fact_id, v.revision, v.position, v.event_type, v.actor, v.reason, v.recorded_from, v.status, v.kind, v.sort_key, v.body';

/**
 * Timeline reads, each one indexed query: no replay of the log. Statements are prepared once per
 * shape of filter and reused.
 */
export class TimelineQueries {
  private readonly statements = new Map<string, Database.Statement>();
  private preparedOn: Database.Database | undefined;
  private readonly source: ReadModelSource;
  private views = new FactViews();

  /** A source whose connection may be swapped by a rebuild, or one fixed connection. */
  constructor(source: ReadModelSource | Database.Database) {
    this.source = 'prepare' in source ? { db: source } : source;
  }

  timeline(page: TimelinePage): { items: FactView[]; nextCursor: string | null } {
    const desc = page.order === 'desc';
    const where = this.conditions(page);
    const params = this.params(page);
    if (page.asOf !== undefined) where.push('v.sort_key < @asOfKey');
    if (page.to !== undefined) where.push('v.sort_key < @toKey');
    if (page.from !== undefined) where.push('(v.valid_end IS NULL OR v.valid_end >= @from)');
    if (page.cursor !== undefined) where.push(desc ? 'v.sort_key < @cursor' : 'v.sort_key > @cursor');
    const rows = this.query(where, page, `ORDER BY ${page.tag || page.entity ? 'l.sort_key' : 'v.sort_key'} ${desc ? 'DESC' : 'ASC'} LIMIT @limit`, {
      ...params,
      asOfKey: page.asOf === undefined ? undefined : `${page.asOf}|~`,
      toKey: page.to === undefined ? undefined : `${page.to}|~`,
      from: page.from,
      cursor: page.cursor === undefined ? undefined : decodeCursor(page.cursor),
      limit: page.limit + 1,
    });
    const items = holdsViews(rows.slice(0, page.limit).map((row) => this.views.of(row, page.asOf, 'happened')));
    const more = rows.length > page.limit;
    return { items, nextCursor: more ? encodeCursor(rows[page.limit - 1].sort_key) : null };
  }

  /**
   * States (facts held over a period) in effect on `day`, in timeline order: the `limit` that began
   * most recently, found by walking the states backwards from `day` (so the walk stops early
   * instead of passing every state that began and ended long before). `more` says others hold too.
   */
  inEffect(day: string, filter: TimelineFilter, limit: number): { items: FactView[]; more: boolean } {
    const where = [...this.conditions(filter), "v.kind = 'state'", 'v.valid_start <= @day', '(v.valid_end IS NULL OR v.valid_end >= @day)'];
    const rows = this.query(where, filter, 'ORDER BY v.valid_start DESC, v.sort_key DESC LIMIT @limit', { ...this.params(filter), day, limit: limit + 1 });
    return { items: holdsViews(rows.slice(0, limit).reverse().map((row) => this.views.of(row, day, 'holds'))), more: rows.length > limit };
  }

  /** A fact as it is now, or as it was known at `knownAt`; retracted facts too, marked. */
  fact(factId: string, knownAt?: Date): FactView | undefined {
    const filter = { knownAt, includeRetracted: true };
    const rows = this.query([...this.conditions(filter), 'v.fact_id = @factId'], filter, 'LIMIT 1', { ...this.params(filter), factId });
    return rows.map((row) => toView(row))[0];
  }

  /** Every version of a fact, oldest first: who changed what, when, and why. */
  /** With `knownAt`, the history as the service told it then: later versions left out, later supersessions not yet happened. */
  history(factId: string, knownAt?: Date): (FactView & { readonly supersededAt: string | null })[] {
    const statement = this.prepare(
      `SELECT ${COLUMNS}, v.recorded_to FROM fact_versions v WHERE v.fact_id = ? AND v.recorded_from <= ? ORDER BY v.version_id`,
    );
    const until = knownAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
    return (statement.all(factId, until) as (VersionRow & { recorded_to: number | null })[]).map((row) => ({
      ...toView(row),
      supersededAt: row.recorded_to === null || row.recorded_to > until ? null : new Date(row.recorded_to).toISOString(),
    }));
  }

  private conditions(filter: TimelineFilter): string[] {
    const where = [
      filter.knownAt === undefined ? 'v.recorded_to IS NULL' : 'v.recorded_from <= @knownAt AND (v.recorded_to IS NULL OR v.recorded_to > @knownAt)',
    ];
    if (!filter.includeRetracted) where.push("v.status = 'recorded'");
    if (filter.tag && filter.entity) {
      where.push('EXISTS (SELECT 1 FROM fact_version_labels e WHERE e.label = @entity AND e.sort_key = v.sort_key AND e.version_id = v.version_id)');
    }
    if (filter.text) where.push('instr(v.search_text, @text) > 0');
    return where;
  }

  private params(filter: TimelineFilter): Record<string, unknown> {
    return {
      knownAt: filter.knownAt?.getTime(),
      tag: filter.tag === undefined ? undefined : `tag:${filter.tag.trim().toLowerCase()}`,
      entity: filter.entity === undefined ? undefined : `entity:${filter.entity.trim().toLowerCase()}`,
      text: filter.text?.trim().toLowerCase(),
    };
  }

  /** A tag or entity filter walks that label's index, already in timeline order. */
  private query(where: string[], filter: TimelineFilter, tail: string, params: Record<string, unknown>): VersionRow[] {
    const label = filter.tag ? '@tag' : filter.entity ? '@entity' : undefined;
    const from = label
      ? `fact_version_labels l JOIN fact_versions v ON v.version_id = l.version_id`
      : 'fact_versions v';
    const conditions = label ? [`l.label = ${label}`, ...where] : where;
    const sql = `SELECT ${COLUMNS} FROM ${from} WHERE ${conditions.join(' AND ')} ${tail}`;
    const used = Object.fromEntries(Object.entries(params).filter(([name, value]) => value !== undefined && sql.includes(`@${name}`)));
    return this.prepare(sql).all(used) as VersionRow[];
  }

  private prepare(sql: string): Database.Statement {
    // Statements belong to a connection: after a swap they are prepared again on the new one.
    if (this.preparedOn !== this.source.db) {
      this.statements.clear();
      this.views = new FactViews();
      this.preparedOn = this.source.db;
    }
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.source.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * Fact views by version row, kept by one TimelineQueries for its connection. A version row's columns
 * other than recorded_to never change: its view is built once (parse, days, dates), and so is each of
 * its forms with a certainty ('certain', 'possible'); answers share them, frozen, instead of a copy
 * each (the copies were a timeline answer's garbage). A row found under a version id with other
 * contents (read models rebuilt from another log on the same connection) is built again.
 */
class FactViews {
  private readonly views = new Map<number, KeptFact>();

  of(row: VersionRow, day: string | undefined, sense: 'happened' | 'holds'): FactView {
    let kept = this.views.get(row.version_id);
    if (kept === undefined || !sameVersion(kept.row, row)) {
      const fact = JSON.parse(row.body) as FactRecorded;
      const text = factViewText(row, fact);
      const plain = text === undefined ? sharedView(Object.freeze(toView(row))) : viewFromText<FactView>(text.head + text.tail);
      kept = { row, plain, days: validDays(fact.validTime), period: isPeriod(fact.validTime), split: text?.head.length };
      if (this.views.size >= FACT_VIEWS_KEPT) this.views.clear();
      this.views.set(row.version_id, kept);
    }
    if (day === undefined) return kept.plain;
    const certainty = sense === 'holds' ? certaintyOnDays(kept.days, kept.period, day) : certaintyBy(kept.days.start, day);
    if (!certainty) return kept.plain;
    // The certainty's key has its place after validDays (as toView puts it): spliced into the plain view's text there.
    if (kept[certainty] !== undefined) return kept[certainty];
    const split = kept.split;
    const text = split === undefined ? undefined : viewText(kept.plain);
    return (kept[certainty] =
      text === undefined || split === undefined
        ? sharedView(Object.freeze({ ...toView(row, day, sense), certainty }))
        : viewFromText<FactView>(`${text.slice(0, split)},"certainty":"${certainty}"${text.slice(split)}`));
  }
}

interface KeptFact {
  readonly row: VersionRow;
  readonly plain: FactView;
  readonly days: ReturnType<typeof validDays>;
  readonly period: boolean;
  /** Where the plain view's text ends its validDays (the certainty goes there); undefined when it was not written text first. */
  readonly split: number | undefined;
  certain?: FactView;
  possible?: FactView;
}

const FACT_VIEWS_KEPT = 50_000;

const sameVersion = (a: VersionRow, b: VersionRow): boolean =>
  a.body === b.body && a.status === b.status && a.recorded_from === b.recorded_from && a.revision === b.revision && a.position === b.position &&
  a.event_type === b.event_type && a.actor === b.actor && a.reason === b.reason && a.kind === b.kind && a.fact_id === b.fact_id;

/** What toView writes besides the stored fact's own fields: a stored fact holding one of them is not spliced. */
const DERIVED = ['id', 'kind', 'precision', 'validDays', 'certainty', 'status', 'revision', 'position', 'recordedAt', 'lastChange'];

/**
 * A fact version's plain view (toView without a day), text first as the claims' views are
 * (figures.queries.ts claimViewOf): the stored body as JSON.stringify wrote it (timeline.projection.ts)
 * spliced between the id and the fields the row gives, each written as JSON.stringify writes it, in
 * toView's order. Split where a certainty would go (after validDays). Undefined for a stored fact the
 * splice could get wrong (one holding a derived field's name): that one is built the old way.
 */
export function factViewText(row: VersionRow, fact: FactRecorded): { head: string; tail: string } | undefined {
  // An index-like key ('0', '12') would go before the id in toView's object: not spliced either.
  if (row.body.length < 3 || DERIVED.some((key) => key in fact) || Object.keys(fact).some((key) => /^(0|[1-9]\d*)$/.test(key))) return undefined;
  return {
    head:
      `{"id":${JSON.stringify(row.fact_id)},${row.body.slice(1, -1)},"kind":${JSON.stringify(row.kind)},` +
      `"precision":${JSON.stringify(validTimePrecision(fact.validTime))},"validDays":${JSON.stringify(shownDays(fact.validTime))}`,
    tail:
      `,"status":${JSON.stringify(row.status)},"revision":"${String(row.revision)}","position":"${String(row.position)}",` +
      `"recordedAt":"${new Date(row.recorded_from).toISOString()}",` +
      `"lastChange":{"type":${JSON.stringify(row.event_type)},"actor":${JSON.stringify(row.actor)},"reason":${JSON.stringify(row.reason)}}}`,
  };
}

/** With a day: how sure it is that the fact had happened by then, or (holds) that the state held then. */
export function toView(row: VersionRow, day?: string, sense: 'happened' | 'holds' = 'happened'): FactView {
  const fact = JSON.parse(row.body) as FactRecorded;
  const certainty =
    day === undefined ? undefined : sense === 'holds' ? certaintyOn(fact.validTime, day) : certaintyBy(validDays(fact.validTime).start, day);
  return {
    id: row.fact_id,
    ...fact,
    kind: row.kind,
    precision: validTimePrecision(fact.validTime),
    validDays: shownDays(fact.validTime),
    ...(certainty ? { certainty } : {}),
    status: row.status,
    revision: String(row.revision),
    position: String(row.position),
    recordedAt: new Date(row.recorded_from).toISOString(),
    lastChange: { type: row.event_type, actor: row.actor, reason: row.reason },
  };
}

function encodeCursor(sortKey: string): string {
  return Buffer.from(sortKey).toString('base64url');
}

/** A cursor is a sort key; anything else is a client's mistake, not an empty page. */
function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString();
  if (!/^\d{4}-\d{2}-\d{2}\|\d{4}-\d{2}-\d{2}\|/.test(key)) throw invalid('cursor must be a nextCursor this service gave', 'cursor');
  return key;
}
