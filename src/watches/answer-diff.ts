import canonicalize from 'canonicalize';
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
 * The answer in RFC 8785 canonical JSON (keys sorted), so that the same answer always has the same
 * hash, whatever order a projection happened to write an object's keys in.
 */
export function canonical(answer: Answer): string {
  return canonicalize(answer) ?? 'null';
}

export function answerHash(answer: Answer): string {
  return `sha256:${createHash('sha256').update(canonical(answer)).digest('hex')}`;
}

/**
 * What changed between two answers, value by value (microdiff: nested objects and arrays, arrays
 * by index). A null answer (the record does not exist, or not as of that day) is compared as a
 * whole: its only change is the root.
 */
export function answerChanges(before: Answer, after: Answer): AnswerChange[] {
  if (!isContainer(before) || !isContainer(after) || Array.isArray(before) !== Array.isArray(after)) {
    return canonical(before) === canonical(after) ? [] : [{ op: 'replace', path: '', before, after }];
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
