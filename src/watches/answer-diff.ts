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
 *
 * The text is made in `pieces` (piecesOf), and hashed piece by piece: the SHA-256 of the text,
 * without the text. Joining a figure's answer (hundreds of kB) cost more than hashing it, and an
 * evaluation seldom needs it: the next answer is stored as the edit of this one by comparing pieces
 * (answer-delta.ts, pieceDeltaOf). `text` is joined when first read.
 */
export interface StoredAnswer {
  readonly text: string;
  readonly hash: string;
  readonly pieces: readonly string[];
  /** The text's length, in UTF-16 code units. */
  readonly length: number;
}

export function storedAnswer(answer: Answer): StoredAnswer {
  const pieces = piecesOf(answer);
  // The UTF-8 of the pieces one after another is that of the text: they are cut between JSON tokens, never inside a string.
  const hash = createHash('sha256');
  let length = 0;
  for (const piece of pieces) {
    hash.update(piece);
    length += piece.length;
  }
  let text: string | undefined;
  return {
    hash: `sha256:${hash.digest('hex')}`,
    pieces,
    length,
    get text() {
      return (text ??= pieces.join(''));
    },
  };
}

/**
 * The JSON text of the containers this many levels deep is kept (by object, so only while the
 * object lives): a figure's answer read again in part is mostly the previous answer's objects (a
 * latest claim, a claimant's history), whose text is then not written again.
 */
const TEXT_KEPT_DEPTH = 3;
const texts = new WeakMap<object, string>();

/** Objects opened into pieces at most this deep (an answer's lists are one or two levels down). */
const PIECES_DEPTH = 4;

/**
 * JSON.stringify(answer), cut into pieces that concatenate to it: each item of a list (a claim, a
 * history entry, a timeline item) is a piece of its own, its text kept by object (textOf); objects
 * are opened, and the text between items (keys, scalars, punctuation) is gathered into one piece.
 * A figure's answer read again in part reuses the previous answer's claims and histories, whose
 * pieces are then the very same strings: comparing two answers' pieces finds what changed in
 * microseconds where comparing their texts (hundreds of kB) took milliseconds.
 */
export function piecesOf(answer: Answer): string[] {
  const pieces: string[] = [];
  let glue = '';
  /** A value's text in its place: a scalar joins the glue, an object or a list is a piece. */
  const item = (value: unknown, text: string) => {
    if (typeof value !== 'object' || value === null) {
      glue += text;
      return;
    }
    if (glue !== '') pieces.push(glue);
    pieces.push(text);
    glue = '';
  };
  const open = (value: object, depth: number): void => {
    if (Array.isArray(value)) {
      glue += '[';
      value.forEach((entry, i) => {
        if (i > 0) glue += ',';
        // As JSON.stringify: what has no JSON text (undefined, a function) is null in a list.
        const text = textOf(entry, TEXT_KEPT_DEPTH);
        if (text === undefined) glue += 'null';
        else item(entry, text);
      });
      glue += ']';
      return;
    }
    glue += '{';
    let first = true;
    for (const [key, member] of Object.entries(value)) {
      const opened = depth > 1 && isOpenable(member);
      const text = opened ? '' : textOf(member, TEXT_KEPT_DEPTH);
      // As JSON.stringify: a member with no JSON text is left out.
      if (text === undefined) continue;
      glue += `${first ? '' : ','}${JSON.stringify(key)}:`;
      first = false;
      if (opened) open(member, depth - 1);
      else item(member, text);
    }
    glue += '}';
  };
  if (isOpenable(answer)) open(answer, PIECES_DEPTH);
  else glue = textOf(answer, TEXT_KEPT_DEPTH) ?? 'null';
  if (glue !== '') pieces.push(glue);
  return pieces;
}

/** An object or list that JSON.stringify writes member by member (no toJSON of its own). */
function isOpenable(value: unknown): value is object {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

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
