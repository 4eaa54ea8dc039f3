import { createHash } from 'node:crypto';
import type { Answer } from './question';

/** One changed value: where (a JSON Pointer into the answer), what it was and what it is. */
export interface AnswerChange {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path: string;
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
  const text = JSON.stringify(answer) ?? 'null';
  return { text, hash: answerHash(text) };
}

export function answerHash(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * What changed between two answers, value by value: nested objects and arrays, arrays by index,
 * the changes of a container listed before the keys it gained (microdiff's output for JSON values,
 * which the tests hold it to). A null answer (the record does not exist, or not as of that day) is
 * compared as a whole: its only change is the root.
 *
 * Written here rather than calling microdiff because a figure's new answer is mostly its previous
 * one, the same objects (FigureQueries.figureRevisited reads again only the claimants an event
 * touched): a part that is the same object is skipped without a walk, so the diff costs what
 * changed, not the answer's size (microdiff walks every value of both, ~12 ms at 300 claims).
 */
export function answerChanges(before: Answer, after: Answer): AnswerChange[] {
  if (!isContainer(before) || !isContainer(after) || Array.isArray(before) !== Array.isArray(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ op: 'replace', path: '', before, after }];
  }
  const changes: AnswerChange[] = [];
  diffInto(before, after, '', changes);
  return changes;
}

type Container = Record<string, unknown> | unknown[];

function diffInto(before: Container, after: Container, path: string, changes: AnswerChange[]): void {
  if (before === after) return;
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  for (const key in a) {
    const at = `${path}/${escape(key)}`;
    if (!(key in b)) {
      changes.push({ op: 'remove', path: at, before: a[key] });
      continue;
    }
    const [x, y] = [a[key], b[key]];
    if (isContainer(x) && isContainer(y) && Array.isArray(x) === Array.isArray(y)) diffInto(x, y, at, changes);
    else if (!Object.is(x, y)) changes.push({ op: 'replace', path: at, before: x, after: y });
  }
  for (const key in b) if (!(key in a)) changes.push({ op: 'add', path: `${path}/${escape(key)}`, after: b[key] });
}

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/** RFC 6901: `~` and `/` in a key are escaped. */
function escape(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}
