import type { RecordedEvent } from '../event-store/event-store';
import type { AnswerChange } from './answer-diff';
import { describe, type Answer, type Question } from './question';

/**
 * What a person reads of a notice: one sentence naming the claimant or fact, the value before →
 * after, who recorded the change and why ("US-led coalition (CJTF-OIR): at least 1,257 → at least
 * 1,259, corrected by desk-jane: the report says 1,259"), and the changes without the record's
 * bookkeeping. Pure: from the two answers, their changes and the events that reached the question.
 */

/** Keys that say where and when the service stored something, not what the record says: never a reader's change. */
const BOOKKEEPING = new Set(['recordedAt', 'position', 'revision', 'historyNext', 'assertedDays', 'validDays']);
/** A claim's `low` and `high` restate its value (shown as the value's change). */
const RESTATED_IN_CLAIM = new Set(['low', 'high']);
/** Past this many subjects a summary says how many more. */
const MAX_SENTENCES = 3;

/** The changes a reader cares about: values, dates, sources, ranks, certainty; values added or removed whole without their bookkeeping. */
export function readableChanges(changes: readonly AnswerChange[]): AnswerChange[] {
  const out: AnswerChange[] = [];
  for (const change of changes) {
    const keys = change.path.split('/').slice(1);
    if (keys.some((key) => BOOKKEEPING.has(key))) continue;
    if (change.claimId !== undefined && RESTATED_IN_CLAIM.has(keys[keys.length - 1]) && keys[keys.length - 2] !== 'change' && !keys.includes('spread')) continue;
    const readable: AnswerChange = { ...change };
    if ('before' in change) Object.assign(readable, { before: withoutBookkeeping(change.before) });
    if ('after' in change) Object.assign(readable, { after: withoutBookkeeping(change.after) });
    out.push(readable);
  }
  return out;
}

function withoutBookkeeping(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutBookkeeping);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !BOOKKEEPING.has(key)).map(([key, item]) => [key, withoutBookkeeping(item)]));
}

interface ClaimLike {
  readonly claimId: string;
  readonly claimant: string;
  readonly value?: unknown;
  readonly assertedOn?: string;
  readonly status?: string;
  /** A history entry's: the last one of a retracted claim is 'retracted'. */
  readonly kind?: string;
  readonly rank?: { readonly value?: string };
}

const retracted = (claim: ClaimLike) => claim.status === 'retracted' || claim.kind === 'retracted';

/** The summary sentence of a notice. */
export function summaryOf(question: Question, before: Answer, after: Answer, changes: readonly AnswerChange[], events: readonly RecordedEvent[]): string {
  const sentences =
    question.kind === 'figure' ? figureSentences(before, after, changes, events) : question.kind === 'fact' ? factSentences(before, after, changes, events) : timelineSentences(question, before, after, events);
  if (sentences.length === 0) return `${describe(question)}: ${countOf(changes)}${tail(events)}`;
  const shown = sentences.slice(0, MAX_SENTENCES).join('; ');
  return sentences.length > MAX_SENTENCES ? `${shown}; and ${sentences.length - MAX_SENTENCES} more` : shown;
}

function countOf(changes: readonly AnswerChange[]): string {
  if (changes.length === 0) return 'recorded again, no value a reader sees changed';
  return `${changes.length} value${changes.length === 1 ? '' : 's'} changed`;
}

/** One sentence per claim changed, in the order of the changes. */
function figureSentences(before: Answer, after: Answer, changes: readonly AnswerChange[], events: readonly RecordedEvent[]): string[] {
  if (!isRecord(before) || !isRecord(after)) {
    const name = (isRecord(after) ? after.name : isRecord(before) ? before.name : undefined) as string | undefined;
    if (!name) return [];
    return [`${name}: ${isRecord(after) ? 'now in the record' : 'no longer in the record'}${tail(events)}`];
  }
  const [was, now] = [claimsOf(before), claimsOf(after)];
  const latestBefore = latestByClaimant(before);
  const sentences: string[] = [];
  const seen = new Set<string>();
  for (const change of changes) {
    const id = change.claimId;
    if (id === undefined || seen.has(id)) continue;
    seen.add(id);
    const [a, b] = [was.get(id), now.get(id)];
    const claim = b ?? a;
    if (!claim) continue;
    const related = events.filter((e) => (e.data as { claimId?: unknown }).claimId === id);
    let text: string;
    if (!a) {
      const previous = latestBefore.get(claim.claimant);
      const from = previous && previous.claimId !== id ? `${valueText(previous.value)} → ` : '';
      text = `${claim.claimant}: ${from}${valueText(claim.value)}${claim.assertedOn ? ` (claim of ${claim.assertedOn})` : ''}`;
    } else if (!b) text = `${claim.claimant}: ${valueText(a.value)} → none`;
    else if (!retracted(a) && retracted(b)) text = `${claim.claimant}: ${valueText(a.value)}`;
    else if (valueText(a.value) !== valueText(b.value)) text = `${claim.claimant}: ${valueText(a.value)} → ${valueText(b.value)}`;
    else if ((a.rank?.value ?? 'normal') !== (b.rank?.value ?? 'normal')) text = `${claim.claimant}: ${valueText(b.value)}, ranked ${a.rank?.value ?? 'normal'} → ${b.rank?.value ?? 'normal'}`;
    else {
      // A claim that only joined or left a list (the latest claims, when another of its claimant's came or went) did not change itself.
      const fields = [...new Set(changes.filter((c) => c.claimId === id).map((c) => fieldOf(c.path)))].filter((f) => f !== undefined && f !== 'possiblyNewer');
      if (fields.length === 0) continue;
      text = `${claim.claimant}: ${valueText(b.value)}, ${fields.join(', ')} changed`;
    }
    sentences.push(`${text}${tail(related.length ? related : events)}`);
  }
  // Changes outside any claim (the figure's name, unit, scope): named by the figure.
  if (sentences.length === 0) {
    const fields = [...new Set(changes.map((c) => c.path.split('/')[1]).filter((f) => f && f !== 'spread'))];
    if (fields.length) sentences.push(`${String(after.name ?? before.name)}: ${fields.join(', ')} changed${tail(events)}`);
  }
  return sentences;
}

/** The field of a claim a change is in: the key after the claim's index (`/claims/0/sources/1/url` → sources). */
function fieldOf(path: string): string | undefined {
  const keys = path.split('/').slice(1);
  const at = keys.findIndex((key, i) => /^\d+$/.test(key) && i > 0);
  return at >= 0 ? keys[at + 1] : undefined;
}

/** Every claim an answer shows, by id: its history entries (the last one of a claim is its state), then its latest and possible claims, which are the claims themselves. */
function claimsOf(answer: Record<string, unknown>): Map<string, ClaimLike> {
  const out = new Map<string, ClaimLike>();
  const take = (item: unknown) => {
    if (isRecord(item) && typeof item.claimId === 'string' && typeof item.claimant === 'string') out.set(item.claimId, item as unknown as ClaimLike);
  };
  if (isRecord(answer.history)) for (const entries of Object.values(answer.history)) if (Array.isArray(entries)) entries.forEach(take);
  for (const list of [answer.possibleClaims, answer.claims]) if (Array.isArray(list)) list.forEach(take);
  return out;
}

function latestByClaimant(answer: Record<string, unknown>): Map<string, ClaimLike> {
  const out = new Map<string, ClaimLike>();
  if (Array.isArray(answer.claims)) for (const item of answer.claims) if (isRecord(item) && typeof item.claimant === 'string') out.set(item.claimant, item as unknown as ClaimLike);
  return out;
}

const FACT_FIELDS = ['status', 'title', 'validTime', 'summary', 'tags', 'entities', 'sources', 'certainty'];

function factSentences(before: Answer, after: Answer, changes: readonly AnswerChange[], events: readonly RecordedEvent[]): string[] {
  const title = String((isRecord(after) ? after.title : undefined) ?? (isRecord(before) ? before.title : undefined) ?? '');
  if (!title) return [];
  if (!isRecord(before)) return [`${title}: now in the record${tail(events)}`];
  if (!isRecord(after)) return [`${title}: no longer in the record${tail(events)}`];
  const fields = FACT_FIELDS.filter((f) => changes.some((c) => c.path === `/${f}` || c.path.startsWith(`/${f}/`)));
  const scalar = fields.find((f) => f === 'status' || f === 'validTime' || f === 'title' || f === 'certainty');
  const text = scalar ? `${scalar === 'validTime' ? 'valid time' : scalar} ${plain(before[scalar])} → ${plain(after[scalar])}` : fields.length ? `${fields.join(', ')} changed` : countOf(changes);
  const others = scalar ? fields.filter((f) => f !== scalar) : [];
  return [`${String(before.title ?? title)}: ${text}${others.length ? `; ${others.join(', ')} changed` : ''}${tail(events)}`];
}

function timelineSentences(question: Question, before: Answer, after: Answer, events: readonly RecordedEvent[]): string[] {
  const titles = (answer: Answer) => new Set(isRecord(answer) && Array.isArray(answer.items) ? answer.items.filter(isRecord).map((i) => String(i.title)) : []);
  const [was, now] = [titles(before), titles(after)];
  const added = [...now].filter((t) => !was.has(t));
  const removed = [...was].filter((t) => !now.has(t));
  const parts = [...(added.length ? [`added ${quoteList(added)}`] : []), ...(removed.length ? [`no longer lists ${quoteList(removed)}`] : [])];
  return parts.length ? [`${describe(question)}: ${parts.join(', ')}${tail(events)}`] : [];
}

function quoteList(titles: readonly string[]): string {
  const shown = titles.slice(0, 3).map((t) => `“${t}”`);
  return titles.length > 3 ? `${shown.join(', ')} and ${titles.length - 3} more` : shown.join(', ');
}

const VERBS: Record<string, string> = {
  ClaimAsserted: 'recorded',
  ClaimCorrected: 'corrected',
  ClaimRetracted: 'retracted',
  ClaimRanked: 'ranked',
  FactRecorded: 'recorded',
  FactCorrected: 'corrected',
  FactRetracted: 'retracted',
  FigureDefined: 'defined',
};

/** ", corrected by desk-jane: the report says 1,259": the events' verb, their actors and reasons (the last event's verb; each actor and reason once). */
function tail(events: readonly RecordedEvent[]): string {
  if (events.length === 0) return '';
  const last = events[events.length - 1];
  const verb = VERBS[last.type] ?? last.type;
  const meta = (e: RecordedEvent) => e.metadata as { actor?: unknown; reason?: unknown };
  const actors = [...new Set(events.map((e) => meta(e).actor).filter((a): a is string => typeof a === 'string'))];
  const reasons = [...new Set(events.map((e) => meta(e).reason).filter((r): r is string => typeof r === 'string' && r.length > 0))];
  const by = actors.length ? ` by ${actors.slice(0, 3).join(', ')}${actors.length > 3 ? ' and others' : ''}` : '';
  const why = reasons.length ? `: ${reasons.slice(0, 2).join('; ')}${reasons.length > 2 ? '; …' : ''}` : '';
  return `, ${verb}${by}${why}`;
}

const QUALIFIERS: Record<string, string> = { at_least: 'at least', at_most: 'at most', about: 'about', almost: 'almost', more_than: 'more than', fewer_than: 'fewer than' };

/** A claim's value as a person writes it: "at least 1,257", "7,000–7,600", "about 1,900". */
export function valueText(value: unknown): string {
  if (!isRecord(value)) return value === undefined || value === null ? 'none' : plain(value);
  const qualifier = typeof value.qualifier === 'string' ? `${QUALIFIERS[value.qualifier] ?? value.qualifier} ` : '';
  if (value.kind === 'range') return `${qualifier}${number(value.min)}–${number(value.max)}`;
  return `${qualifier}${number(value.value)}`;
}

function number(value: unknown): string {
  return typeof value === 'number' ? value.toLocaleString('en-US') : String(value);
}

/** A short text of any value: a date as it is, a valid time as its day or its bounds, anything else as JSON. */
function plain(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return number(value);
  if (isRecord(value) && ('at' in value || 'from' in value)) {
    if (typeof value.at === 'string') return value.at;
    return `${typeof value.from === 'string' ? value.from : '…'}–${typeof value.to === 'string' ? value.to : '…'}`;
  }
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The details under a notice's sentence, one line per thing changed: a claim's field by its claimant
 * ("Airwars · value: at least 7,595 → at least 7,900"), anything else by its keys ("spread › low: 1,257 → 1,259").
 */
export function detailLines(changes: readonly AnswerChange[], before: Answer, after: Answer): string[] {
  const [was, now] = [isRecord(before) ? claimsOf(before) : new Map<string, ClaimLike>(), isRecord(after) ? claimsOf(after) : new Map<string, ClaimLike>()];
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const change of changes) {
    const field = change.claimId === undefined ? undefined : fieldOf(change.path);
    const claim = change.claimId === undefined ? undefined : (now.get(change.claimId) ?? was.get(change.claimId));
    if (claim && field) {
      const key = `${change.claimId}/${field}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const show = (c: ClaimLike | undefined) => (c === undefined ? 'none' : field === 'value' ? valueText(c.value) : plain((c as unknown as Record<string, unknown>)[field]));
      lines.push(`${claim.claimant} · ${field}: ${show(was.get(change.claimId!))} → ${show(now.get(change.claimId!))}`);
      continue;
    }
    const keys = change.path.split('/').slice(1);
    // A claimant's history: "Airwars · history"; anything else by its keys, list indices left out.
    const label = keys[0] === 'history' && keys.length > 1 ? `${keys[1]} · history` : keys.filter((key) => !/^\d+$/.test(key)).join(' › ') || 'the answer';
    const whole = (value: unknown) =>
      isRecord(value) && 'value' in value && (typeof value.claimant === 'string' || typeof value.kind === 'string')
        ? [typeof value.kind === 'string' && !keys.includes('claims') ? value.kind : value.claimant, valueText(value.value)].filter(Boolean).join(' ')
        : plain(value);
    const what = change.op === 'add' ? `added ${whole(change.after)}` : change.op === 'remove' ? `removed ${whole(change.before)}` : `${whole(change.before)} → ${whole(change.after)}`;
    const line = `${claim && keys[0] !== 'history' ? `${claim.claimant} · ` : ''}${label}: ${what}`;
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  }
  return lines;
}
