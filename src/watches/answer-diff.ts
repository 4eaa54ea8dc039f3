import { createHash } from 'node:crypto';
import type { Answer } from './question';

/**
 * One changed value: where (a JSON Pointer into the answer after, or for a removal into the answer
 * before), what it was and what it is; inside a claim of a list of claims, the claim's id.
 */
export interface AnswerChange {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path: string;
  readonly claimId?: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/**
 * An answer as stored: its JSON as the read models give it, and that text's hash. The same state
 * of the read models gives the same text (the same rows, read by the same code), so equal hashes
 * mean an unchanged answer; a differing hash is confirmed by answerChanges, which ignores key
 * order, before anyone is told (a new build that orders keys differently is no change). Sorting
 * keys (RFC 8785) for every answer asked would cost ~10% of an evaluation for nothing more.
 */
export function storedAnswer(answer: Answer): { readonly text: string; readonly hash: string } {
  const text = textOf(answer, TEXT_KEPT_DEPTH) ?? 'null';
  return { text, hash: answerHash(text) };
}

/**
 * The JSON text of the containers this many levels deep is kept (by object, so only while the
 * object lives): a figure's answer read again in part is mostly the previous answer's objects (a
 * latest claim, a claimant's history), whose text is then not written again.
 */
const TEXT_KEPT_DEPTH = 3;
const texts = new WeakMap<object, string>();

/** JSON.stringify's text exactly (undefined where it gives undefined), from kept texts where it can. */
function textOf(value: unknown, depth: number): string | undefined {
  if (depth === 0 || typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  const kept = texts.get(value);
  if (kept !== undefined) return kept;
  let text: string;
  if (Array.isArray(value)) text = `[${value.map((item) => textOf(item, depth - 1) ?? 'null').join(',')}]`;
  else {
    const members: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      const itemText = textOf(item, depth - 1);
      if (itemText !== undefined) members.push(`${JSON.stringify(key)}:${itemText}`);
    }
    text = `{${members.join(',')}}`;
  }
  texts.set(value, text);
  return text;
}

export function answerHash(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * What changed between two answers, value by value: nested objects and arrays, the changes of a
 * container listed before the keys it gained (as microdiff gives them). A null answer (the record
 * does not exist, or not as of that day) is compared as a whole: its only change is the root.
 *
 * A list of claims (objects each with its own `claimId`, as a figure's `claims`, `possibleClaims`
 * and `possiblyNewer` are) is compared claim by claim, not by index: a claim that only moved (the
 * latest claims are sorted by value) is no change, and each change names its claim (`claimId`), its
 * path the claim's place in the answer after (before, for a removal). By index, one claim moving up
 * the list showed as a change of every claim it passed, thousands of values for one new claim.
 * Other arrays are compared by index.
 *
 * Written here rather than with microdiff (which the tests still hold it to where no list is keyed)
 * because a figure's new answer is mostly its previous one, the same objects (FigureQueries.
 * figureRevisited reads again only the claimants an event touched): a part that is the same object
 * is skipped without a walk, so the diff costs what changed, not the answer's size.
 */
export function answerChanges(before: Answer, after: Answer): AnswerChange[] {
  if (!isContainer(before) || !isContainer(after) || Array.isArray(before) !== Array.isArray(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ op: 'replace', path: '', before, after }];
  }
  const changes: AnswerChange[] = [];
  diffInto(before, after, '', undefined, changes);
  return changes;
}

type Container = Record<string, unknown> | unknown[];

function diffInto(before: Container, after: Container, path: string, claimId: string | undefined, changes: AnswerChange[]): void {
  if (before === after) return;
  if (Array.isArray(before) && Array.isArray(after)) {
    const [a, b] = [claimIds(before), claimIds(after)];
    if (a && b) return diffClaims(before, after, a, b, path, changes);
  }
  const named = claimId === undefined ? {} : { claimId };
  const x = before as Record<string, unknown>;
  const y = after as Record<string, unknown>;
  for (const key in x) {
    const at = `${path}/${escape(key)}`;
    if (!(key in y)) {
      changes.push({ op: 'remove', path: at, ...named, before: x[key] });
      continue;
    }
    const [u, v] = [x[key], y[key]];
    if (isContainer(u) && isContainer(v) && Array.isArray(u) === Array.isArray(v)) diffInto(u, v, at, claimId, changes);
    else if (!Object.is(u, v)) changes.push({ op: 'replace', path: at, ...named, before: u, after: v });
  }
  for (const key in y) if (!(key in x)) changes.push({ op: 'add', path: `${path}/${escape(key)}`, ...named, after: y[key] });
}

/** Two lists of claims, matched by id: removals and changes in the order before, then the claims added. */
function diffClaims(before: unknown[], after: unknown[], a: readonly string[], b: readonly string[], path: string, changes: AnswerChange[]): void {
  const at = new Map(b.map((id, i) => [id, i]));
  const was = new Set(a);
  a.forEach((id, i) => {
    const j = at.get(id);
    if (j === undefined) changes.push({ op: 'remove', path: `${path}/${i}`, claimId: id, before: before[i] });
    else diffInto(before[i] as Container, after[j] as Container, `${path}/${j}`, id, changes);
  });
  b.forEach((id, j) => {
    if (!was.has(id)) changes.push({ op: 'add', path: `${path}/${j}`, claimId: id, after: after[j] });
  });
}

/** The claim ids of a list of claims, each once; undefined for any other array. */
function claimIds(list: readonly unknown[]): string[] | undefined {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const item of list) {
    const id = isContainer(item) && !Array.isArray(item) ? item.claimId : undefined;
    if (typeof id !== 'string' || seen.has(id)) return undefined;
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/** RFC 6901: `~` and `/` in a key are escaped. */
function escape(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}
