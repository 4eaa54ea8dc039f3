import diff from 'microdiff';
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
 * What changed between two answers, value by value (microdiff: nested objects and arrays, arrays
 * by index). A null answer (the record does not exist, or not as of that day) is compared as a
 * whole: its only change is the root.
 */
export function answerChanges(before: Answer, after: Answer): AnswerChange[] {
  if (!isContainer(before) || !isContainer(after) || Array.isArray(before) !== Array.isArray(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ op: 'replace', path: '', before, after }];
  }
  return diff(before, after).map((d) => {
    const path = pointer(d.path);
    switch (d.type) {
      case 'CREATE':
        return { op: 'add', path, after: d.value };
      case 'REMOVE':
        return { op: 'remove', path, before: d.oldValue };
      case 'CHANGE':
        return { op: 'replace', path, before: d.oldValue, after: d.value };
    }
  });
}

function isContainer(value: Answer): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

/** RFC 6901: `~` and `/` in a key are escaped. */
function pointer(path: readonly (string | number)[]): string {
  return path.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
