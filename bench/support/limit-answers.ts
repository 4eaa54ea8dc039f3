import type Database from 'better-sqlite3';
import { certaintyBy } from '../../src/domain/certainty';
import { FIRST_DAY, LAST_DAY } from '../../src/domain/edtf';
import { latestClaim, possiblyNewerThan, revisionChain, CHAIN_LIST_LIMIT, type ChainPlace } from '../../src/domain/figure/revision-chain';
import type { ClaimRankValue, ClaimValue } from '../../src/domain/figure/figure.events';
import { claimOrderBeyond, claimOrderBy, claimOrderKey } from '../../src/projections/figures/claim-order';
import { latestClaimsSql, valueChange } from '../../src/projections/figures/figures.queries';

/**
 * The honest limit of the two as-of reads (issue 24): the answers of `GET /timeline?asOf=` (first page)
 * and `GET /figures/:id?asOf=` written as text straight from the read-model rows, each stored JSON body
 * spliced in as it is (never parsed), the few derived fields written beside it. Its SQL is hand-written
 * where Annals' runs one statement per part, and the same text where it is already one statement for all
 * figures (the latest claims: latestClaimsSql); the rules that decide a claim's place (revision-chain.ts)
 * are the domain's own, over the few claims of a page. What it leaves out is everything between the rows
 * and the bytes: views, copies, spreads, JSON.stringify. Its answers are checked byte for byte against
 * Annals' (bench/limit.ts): a limit that answered something else would measure nothing.
 *
 * Only what the bench asks is covered: no knownAt, no filters, no cursor (each throws rather than answer
 * something else).
 */

const TIMELINE_LIMIT = 50;
const IN_EFFECT_LIMIT = 20;
const FIGURES_LIMIT = 10;
const LIST_CLAIMS = 10;
const HISTORY_LIMIT = 20;
const NOW = Number.MAX_SAFE_INTEGER;

interface FactRow {
  fact_id: string;
  revision: number;
  position: number;
  event_type: string;
  actor: string | null;
  reason: string | null;
  recorded_from: number;
  kind: 'event' | 'state';
  valid_start: string;
  start_latest: string;
  end_earliest: string;
  valid_end: string | null;
  sort_key: string;
  body: string;
}

interface ClaimRow {
  claim_id: string;
  claimant: string;
  asserted_earliest: string;
  asserted_latest: string;
  asserted_position: number;
  rank: number;
  status: string;
  position: number;
  event_type: string;
  actor: string | null;
  reason: string | null;
  recorded_from: number;
  body: string;
}

interface LatestRow extends ClaimRow {
  chosen: number;
  figure: string;
}

/** A latest claim as a list orders and bounds it, with its text. */
interface Latest {
  readonly claimant: string;
  readonly low: number;
  readonly high: number;
  readonly deprecated: boolean;
  readonly latestDay: string;
  readonly position: number;
  readonly text: string;
}

const FACT_COLUMNS = 'fact_id, revision, position, event_type, actor, reason, recorded_from, kind, valid_start, start_latest, end_earliest, valid_end, sort_key, body';
const CLAIM_COLUMNS = 'claim_id, claimant, asserted_earliest, asserted_latest, asserted_position, rank, status, position, event_type, actor, reason, recorded_from, body';
const CURRENT_CLAIM = `figure_id = @figureId AND claimant = @claimant AND status = 'asserted' AND recorded_to IS NULL`;
const RANKS: readonly ClaimRankValue[] = ['deprecated', 'normal', 'preferred'];
const LIFECYCLE: Record<string, string> = { ClaimCorrected: 'corrected', ClaimRetracted: 'retracted', ClaimRanked: 'ranked' };

export class LimitAnswers {
  private readonly facts: Database.Statement;
  private readonly inEffect: Database.Statement;
  private readonly figureList: Database.Statement;
  private readonly figureOne: Database.Statement;
  private readonly latestOfMany: Database.Statement;
  private readonly latestOfOne: Database.Statement;
  private readonly possiblyAfter: Database.Statement;
  private readonly historyFirst: Database.Statement;
  private readonly historyAfter: Database.Statement;
  private readonly record: Database.Statement;

  constructor(db: Database.Database) {
    this.facts = db.prepare(
      `SELECT ${FACT_COLUMNS} FROM fact_versions WHERE recorded_to IS NULL AND status = 'recorded' AND sort_key < ? ORDER BY sort_key LIMIT ${TIMELINE_LIMIT + 1}`,
    );
    this.inEffect = db.prepare(
      `SELECT ${FACT_COLUMNS} FROM fact_versions v WHERE recorded_to IS NULL AND status = 'recorded' AND kind = 'state' AND valid_start <= @day
         AND (valid_end IS NULL OR valid_end >= @day) ORDER BY valid_start DESC, sort_key DESC LIMIT ${IN_EFFECT_LIMIT + 1}`,
    );
    // The figure's stream revision and the instant of its last claim version, beside its row: one statement.
    const revision = `(SELECT revision FROM claim_versions c WHERE c.figure_id = f.figure_id ORDER BY revision DESC LIMIT 1)`;
    const lastRecorded = `(SELECT recorded_from FROM claim_versions c WHERE c.figure_id = f.figure_id ORDER BY revision DESC LIMIT 1)`;
    this.figureList = db.prepare(`SELECT figure_id, body, ${revision} AS revision FROM figures f ORDER BY figure_id LIMIT ${FIGURES_LIMIT + 1}`);
    this.figureOne = db.prepare(`SELECT figure_id, body, ${revision} AS revision, ${lastRecorded} AS at FROM figures f WHERE figure_id = ?`);
    this.latestOfMany = db.prepare(latestClaimsSql('fc.figure_id IN (SELECT value FROM json_each(@figureIds))'));
    this.latestOfOne = db.prepare(latestClaimsSql('fc.figure_id = @figureId'));
    this.possiblyAfter = db.prepare(
      `SELECT ${CLAIM_COLUMNS} FROM claim_versions WHERE ${CURRENT_CLAIM} AND asserted_earliest <= @asOf AND asserted_latest >= @from AND rank > 0
       ORDER BY ${claimOrderBy()} LIMIT 51`,
    );
    this.historyFirst = db.prepare(
      `SELECT ${CLAIM_COLUMNS.split(', ').map((c) => `v.${c}`).join(', ')} FROM figure_claimants fc CROSS JOIN claim_versions v INDEXED BY claim_versions_possible
         ON v.figure_id = fc.figure_id AND v.claimant = fc.claimant
       WHERE fc.figure_id = @figureId AND v.asserted_earliest <= @asOf AND v.recorded_from <= @at AND (v.recorded_to IS NULL OR v.recorded_to > @at)
       ORDER BY fc.claimant, ${claimOrderBy({ alias: 'v' })} LIMIT ${HISTORY_LIMIT + 1}`,
    );
    this.historyAfter = db.prepare(
      `SELECT ${CLAIM_COLUMNS} FROM claim_versions
       WHERE figure_id = @figureId AND claimant = @claimant AND status = 'asserted' AND recorded_from <= @at AND (recorded_to IS NULL OR recorded_to > @at)
         AND asserted_earliest <= @reach AND asserted_earliest <= @asOf AND ${claimOrderBeyond('>')}
       ORDER BY ${claimOrderBy()} LIMIT ${CHAIN_LIST_LIMIT}`,
    );
    this.record = db.prepare(`SELECT ${CLAIM_COLUMNS} FROM claim_versions WHERE figure_id = ? AND claim_id = ? AND recorded_from <= ? ORDER BY position`);
  }

  /** The first page of `GET /timeline?asOf=day`, as text. */
  timeline(day: string): string {
    const rows = this.facts.all(`${day}|~`) as FactRow[];
    const items = rows.slice(0, TIMELINE_LIMIT).map((row) => factText(row, happenedBy(row, day)));
    const cursor = rows.length > TIMELINE_LIMIT ? `"${Buffer.from(rows[TIMELINE_LIMIT - 1].sort_key).toString('base64url')}"` : 'null';
    const states = this.inEffect.all({ day }) as FactRow[];
    const inEffect = states.slice(0, IN_EFFECT_LIMIT).reverse().map((row) => factText(row, holdsOn(row, day)));
    const figures = this.figureList.all() as { figure_id: string; body: string; revision: number | null }[];
    const shown = figures.slice(0, FIGURES_LIMIT);
    const latest = groupByFigure(this.latestOfMany.all({ figureIds: JSON.stringify(shown.map((f) => f.figure_id)), asOf: day, at: NOW }) as LatestRow[]);
    const summaries = shown.map((f) => this.summaryText(f, day, latest.get(f.figure_id) ?? [], LIST_CLAIMS));
    return (
      `{"asOf":"${day}","knownAt":null,"items":[${items.join(',')}],"nextCursor":${cursor},` +
      `"inEffect":[${inEffect.join(',')}],"inEffectMore":${states.length > IN_EFFECT_LIMIT},` +
      `"figures":[${summaries.join(',')}],"figuresMore":${figures.length > FIGURES_LIMIT}}`
    );
  }

  /** `GET /figures/:id?asOf=day` (its first history page), as text; undefined when no such figure. */
  figure(figureId: string, day: string): string | undefined {
    const f = this.figureOne.get(figureId) as { figure_id: string; body: string; revision: number | null; at: number | null } | undefined;
    if (!f) return undefined;
    const summary = this.summaryText(f, day, this.latestOfOne.all({ figureId, asOf: day, at: NOW }) as LatestRow[]);
    return `${summary.slice(0, -1)},${this.historyText(figureId, day, f.at ?? 0)}}`;
  }

  /** A figure's summary; with `claimsLimit`, as a list shows it (bounded, claimsMore). */
  private summaryText(f: { figure_id: string; body: string; revision: number | null }, day: string, rows: LatestRow[], claimsLimit?: number): string {
    const chosen = new Map<string, ClaimRow>();
    const newer = new Map<string, ClaimRow[]>();
    const possible: string[] = [];
    for (const r of rows) {
      if (r.chosen) chosen.set(r.claimant, r);
      else if (chosen.has(r.claimant)) (newer.get(r.claimant) ?? newer.set(r.claimant, []).get(r.claimant)!).push(r);
      else possible.push(claimText(r, day));
    }
    const claims = [...chosen.values()].map((byDays) => this.latest(f.figure_id, byDays, newer.get(byDays.claimant) ?? [], day));
    claims.sort((a, b) => a.low - b.low || a.claimant.localeCompare(b.claimant));
    const counted = claims.some((c) => !c.deprecated) ? claims.filter((c) => !c.deprecated) : claims;
    let spread = 'null';
    if (counted.length > 0) {
      const low = Math.min(...counted.map((c) => c.low));
      const high = Math.max(...counted.map((c) => c.high));
      spread = `{"low":${low},"high":${high},"ratio":${low > 0 ? Math.round((high / low) * 100) / 100 : null}}`;
    }
    const shown = claimsLimit === undefined ? claims : bounded(claims, claimsLimit);
    return (
      `{"id":${JSON.stringify(f.figure_id)},${f.body.slice(1, -1)},"revision":"${f.revision ?? 0}","asOf":"${day}","knownAt":null,` +
      `"claims":[${shown.map((c) => c.text).join(',')}],"possibleClaims":[${possible.join(',')}],"spread":${spread}` +
      `${claimsLimit === undefined ? '' : `,"claimsMore":${claims.length - shown.length}`}}`
    );
  }

  /** A claimant's latest claim (FigureQueries.latestOf's rule: the domain's latestClaim over the unsettled ones). */
  private latest(figureId: string, byDays: ClaimRow, unsettled: ClaimRow[], day: string): Latest {
    let chosen = byDays;
    let others = unsettled;
    if (unsettled.length > 0) {
      const ranked = [byDays, ...unsettled].map(rankedOf);
      chosen = latestClaim(ranked[0], ranked, (c) => c.window.latest <= day).row;
      if (chosen !== byDays) {
        const after = this.possiblyAfter.all({ figureId, claimant: chosen.claimant, asOf: day, from: chosen.asserted_earliest }) as ClaimRow[];
        others = possiblyNewerThan(rankedOf(chosen), after.map(rankedOf)).map((c) => c.row);
      }
    }
    const newer = others.filter((r) => r.claim_id !== chosen.claim_id).map((r) => claimText(r, day));
    const { low, high } = boundsOf(chosen.body);
    const text = `${claimText(chosen, day).slice(0, -1)},"possiblyNewer":[${newer.join(',')}]}`;
    return { claimant: chosen.claimant, low, high, deprecated: chosen.rank === 0, latestDay: chosen.asserted_latest, position: chosen.position, text };
  }

  /** The first page of the figure's history: `"history":{…},"historyNext":…`. */
  private historyText(figureId: string, day: string, at: number): string {
    const page = this.historyFirst.all({ figureId, asOf: day, at }) as ClaimRow[];
    const shown = page.slice(0, HISTORY_LIMIT);
    const more = page.length > HISTORY_LIMIT;
    const last = shown[shown.length - 1];
    const next = more ? `"${historyCursor(last, at)}"` : 'null';
    const byClaimant = new Map<string, ClaimRow[]>();
    for (const row of shown) (byClaimant.get(row.claimant) ?? byClaimant.set(row.claimant, []).get(row.claimant)!).push(row);
    const places = new Map<string, ChainPlace>();
    const byId = new Map<string, ClaimRow>();
    for (const [claimant, rows] of byClaimant) {
      let chain = rows;
      if (more && claimant === last.claimant) {
        const reach = rows.reduce((top, row) => (row.asserted_latest > top ? row.asserted_latest : top), '');
        chain = [...rows, ...(this.historyAfter.all({ figureId, claimant, at, asOf: day, reach, ...claimOrderKey(last) }) as ClaimRow[])];
      }
      for (const row of chain) byId.set(row.claim_id, row);
      const chainClaims = chain.map((row) => ({ claimId: row.claim_id, window: windowOf(row), rank: RANKS[row.rank] ?? 'normal', live: row.status === 'asserted' }));
      for (const [id, place] of revisionChain(chainClaims)) places.set(id, place);
    }
    const history = new Map<string, string[]>();
    for (const current of shown) {
      const record = current.position === current.asserted_position ? [current] : (this.record.all(figureId, current.claim_id, at) as ClaimRow[]);
      const place = places.get(current.claim_id) ?? {};
      const previous = place.previous === undefined ? undefined : byId.get(place.previous);
      const entries = history.get(current.claimant) ?? history.set(current.claimant, []).get(current.claimant)!;
      for (const row of record) entries.push(entryText(row, current.claimant, previous, place, day));
    }
    const groups = [...history].map(([claimant, entries]) => `${JSON.stringify(claimant)}:[${entries.join(',')}]`);
    return `"history":{${groups.join(',')}},"historyNext":${next}`;
  }
}

/** At most `limit` latest claims, as boundedClaims (figures.queries.ts) keeps them: the spread's two ends, then the most recent. */
function bounded(claims: Latest[], limit: number): Latest[] {
  if (claims.length <= limit) return claims;
  const ends = new Set<Latest>([claims[0], claims.reduce((top, c) => (c.high > top.high ? c : top), claims[0])]);
  const key = (c: Latest) => (c.latestDay === FIRST_DAY || c.latestDay === LAST_DAY ? LAST_DAY : c.latestDay);
  const recent = claims
    .filter((c) => !ends.has(c))
    .sort((a, b) => (key(a) !== key(b) ? (key(b) < key(a) ? -1 : 1) : b.position - a.position));
  const kept = new Set([...ends].slice(0, limit).concat(recent.slice(0, Math.max(0, limit - ends.size))));
  return claims.filter((c) => kept.has(c));
}

function groupByFigure(rows: LatestRow[]): Map<string, LatestRow[]> {
  const groups = new Map<string, LatestRow[]>();
  for (const r of rows) (groups.get(r.figure) ?? groups.set(r.figure, []).get(r.figure)!).push(r);
  return groups;
}

const shownDay = (day: string) => (day === FIRST_DAY || day === LAST_DAY ? 'null' : `"${day}"`);
const days = (earliest: string, latest: string) => `{"earliest":${shownDay(earliest)},"latest":${shownDay(latest)}}`;
const windowOf = (row: ClaimRow) => ({ earliest: row.asserted_earliest, latest: row.asserted_latest });
const rankedOf = (row: ClaimRow) => ({ window: windowOf(row), rank: RANKS[row.rank] ?? ('normal' as const), order: row.asserted_position, row });
const text = (value: string | null) => (value === null ? 'null' : JSON.stringify(value));

/** A fact's certainty that it had happened (begun) by `day`: certaintyBy over its start's days. */
function happenedBy(row: FactRow, day: string): string | undefined {
  return row.start_latest <= day ? 'certain' : row.valid_start <= day ? 'possible' : undefined;
}

/** A state's certainty that it held on `day` (certaintyOn, from the stored days). */
function holdsOn(row: FactRow, day: string): string | undefined {
  const began = happenedBy(row, day);
  if (row.kind !== 'state' || began === undefined) return began;
  if ((row.valid_end ?? LAST_DAY) < day) return undefined;
  return began === 'certain' && row.end_earliest >= day ? 'certain' : 'possible';
}

/** A fact version's view: the stored body spliced between its id and the fields the row holds. */
function factText(row: FactRow, certainty: string | undefined): string {
  const validTime = valueAt(row.body, 'validTime');
  const first = validTime === undefined ? undefined : stringAt(validTime, row.kind === 'state' ? 'from' : 'at');
  const shown =
    row.kind === 'state'
      ? `{"from":${days(row.valid_start, row.start_latest)},"to":${days(row.end_earliest, row.valid_end ?? LAST_DAY)}}`
      : days(row.valid_start, row.start_latest);
  return (
    `{"id":${JSON.stringify(row.fact_id)},${row.body.slice(1, -1)},"kind":"${row.kind}","precision":"${precisionOf(first)}","validDays":${shown}` +
    `${certainty === undefined ? '' : `,"certainty":"${certainty}"`},"status":"recorded","revision":"${row.revision}","position":"${row.position}",` +
    `"recordedAt":"${new Date(row.recorded_from).toISOString()}","lastChange":{"type":${text(row.event_type)},"actor":${text(row.actor)},"reason":${text(row.reason)}}}`
  );
}

/** edtf.ts's precision from the date's text alone: YYYY, YYYY-MM, YYYY-MM-DD, anything else a window. */
function precisionOf(date: string | undefined): string {
  if (date === undefined) return 'window';
  return /^\d{4}$/.test(date) ? 'year' : /^\d{4}-\d{2}$/.test(date) ? 'month' : /^\d{4}-\d{2}-\d{2}$/.test(date) ? 'day' : 'window';
}

/** A claim version's view (ClaimView): its body, then rank (when the body has none), status, days, certainty, bounds, record. */
function claimText(row: ClaimRow, day: string): string {
  const { low, high } = boundsOf(row.body);
  return (
    `{${row.body.slice(1, -1)}${valueAt(row.body, 'rank') === undefined ? ',"rank":{"value":"normal"}' : ''},"status":"${row.status}",` +
    `"assertedDays":${days(row.asserted_earliest, row.asserted_latest)},"certainty":"${certaintyBy(windowOf(row), day) ?? 'possible'}",` +
    `"low":${low},"high":${high},"recordedAt":"${new Date(row.recorded_from).toISOString()}","position":"${row.position}"}`
  );
}

function boundsOf(body: string): { low: number; high: number } {
  const value = JSON.parse(valueAt(body, 'value') ?? 'null') as ClaimValue;
  return value.kind === 'range' ? { low: value.min, high: value.max } : { low: value.value, high: value.value };
}

/** A history entry (figures.queries.ts entryOf) under the claimant it has now. */
function entryText(row: ClaimRow, claimant: string, previous: ClaimRow | undefined, place: ChainPlace, day: string): string {
  const certainty = certaintyBy(windowOf(row), day);
  const lifecycle = LIFECYCLE[row.event_type];
  const kind = lifecycle ?? (place.uncertainWith === undefined && previous ? 'revised' : 'asserted');
  const value = valueAt(row.body, 'value')!;
  let tail = '';
  if (!lifecycle && place.uncertainWith !== undefined) tail = `,"orderUncertain":true,"orderUncertainWith":${JSON.stringify(place.uncertainWith)}`;
  else if (!lifecycle && previous) {
    const before = valueAt(previous.body, 'value')!;
    const change = valueChange(JSON.parse(before) as ClaimValue, JSON.parse(value) as ClaimValue);
    tail =
      `,"previous":{"claimId":${JSON.stringify(previous.claim_id)},"assertedOn":${valueAt(previous.body, 'assertedOn')},"value":${before}},` +
      `"change":${JSON.stringify(change)}${place.mayLieBetween === undefined ? '' : `,"mayLieBetween":${JSON.stringify(place.mayLieBetween)}`}`;
  }
  return (
    `{"kind":"${kind}","claimId":${JSON.stringify(row.claim_id)},"claimant":${JSON.stringify(claimant)},"assertedOn":${valueAt(row.body, 'assertedOn')},` +
    `"assertedDays":${days(row.asserted_earliest, row.asserted_latest)}${certainty === null ? '' : `,"certainty":"${certainty}"`},` +
    `"value":${value},"rank":${valueAt(row.body, 'rank') ?? '{"value":"normal"}'},"actor":${text(row.actor)},"reason":${text(row.reason)},` +
    `"recordedAt":"${new Date(row.recorded_from).toISOString()}","position":"${row.position}"${tail}}`
  );
}

/** A figure history cursor (figures.queries.ts encodeHistoryCursor). */
function historyCursor(last: ClaimRow, at: number): string {
  const key = claimOrderKey(last);
  return Buffer.from(JSON.stringify([last.claimant, key.earliest, key.latest, key.assertedPosition, at])).toString('base64url');
}

/**
 * The JSON text of the value of a top-level `key` in a JSON object's text, found by scanning (strings and
 * nesting respected), not parsing: undefined when the object has no such key.
 */
export function valueAt(json: string, key: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      const end = stringEnd(json, i);
      if (depth === 1 && json.charCodeAt(end + 1) === 0x3a && json.slice(i + 1, end) === key) return json.slice(end + 2, valueEnd(json, end + 2));
      i = end;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

/** The string value of `key` in an object's text, unquoted (dates hold no escapes). */
function stringAt(json: string, key: string): string | undefined {
  const value = valueAt(json, key);
  return value === undefined || value[0] !== '"' ? undefined : value.slice(1, -1);
}

function stringEnd(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return json.length;
}

function valueEnd(json: string, start: number): number {
  let depth = 0;
  for (let i = start; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) i = stringEnd(json, i);
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i;
      depth--;
    } else if (c === 0x2c && depth === 0) return i;
    if (depth === 0 && (c === 0x7d || c === 0x5d || c === 0x22)) return i + 1;
  }
  return json.length;
}

