import { createHash } from 'node:crypto';
import { holdsSealed, replaceSealed, SEALED_PREFIX, subjectOfToken } from '../event-store/subject-seal';
import { questionKey, type Question } from './question';
import type { WatchText } from './watch-text';

/**
 * A watch's question as stored and as asked (docs/erasure.md, "A watch's question"). Its values that
 * name a subject (a timeline's `entity=` naming a person, a `text=` or `tag=` the watcher marked) are
 * stored sealed (watches.db, and in the log's WatchCreated and WatchesEvaluated), and opened where the
 * watches are loaded: the engine matches the opened question against the read models, which hold the
 * values opened. Erasing the subject destroys the key, and the watches whose question held its value
 * are ended (WatchStore.endWatchesOf): a question opened to `[erased on D]` is never asked.
 *
 * Watches of the same question are grouped by a key (questionKey). A sealed value has a random IV, so
 * the same question sealed twice never compares equal: the key of a sealed question is taken of it with
 * each sealed value replaced by its subject's id, which the key store gives the same name every time
 * and which only its lookup (an HMAC under the key store's secret) leads to from a name. The key thus
 * confirms no guessed name, and identical watches still share one evaluation. A question with nothing
 * sealed keeps the key it always had (questions stored before this feature are grouped as they were).
 */
export class QuestionSeal {
  /** The stored form of each question opened or sealed by this process, by its opened canonical text. */
  private readonly storedForms = new Map<string, Question>();
  /** The values opened from sealed questions, by subject: what an erasure purges from the notices' copies of the question. */
  private readonly opened = new Map<string, Set<string>>();

  constructor(private readonly text: WatchText) {}

  /** The question as asked: each sealed value opened (`[erased on D]` once its subject was erased). */
  open(stored: Question): Question {
    if (!holdsSealedValue(stored)) return stored;
    const question = mapStrings(stored, (value) => {
      if (!holdsSealed(value)) return value;
      replaceSealed(value, (token) => {
        const plain = this.text.open(token);
        if (!isMarker(plain)) this.remember(subjectOfToken(token), plain);
        return token;
      });
      return this.text.open(value);
    });
    this.storedForms.set(canonical(question), stored);
    return question;
  }

  /** Whether a stored question holds a value whose subject was erased: it opens to `[erased on D]` and is never asked. */
  erased(stored: Question): boolean {
    let erased = false;
    mapStrings(stored, (value) => replaceSealed(value, (token) => ((erased ||= ERASED.test(this.text.open(token))), token)));
    return erased;
  }

  /** A question just sealed by the service (or read sealed from the log): its stored form is known from now on. */
  register(question: Question, stored: Question): void {
    if (!holdsSealedValue(stored)) return;
    this.storedForms.set(canonical(question), stored);
    this.open(stored);
  }

  /** What to store for a question as the engine holds it: its sealed form when it has one (a question stored sealed is kept as it is). */
  stored(question: Question): Question {
    if (holdsSealedValue(question)) return question;
    return this.storedForms.get(canonical(question)) ?? question;
  }

  /** The key that groups watches asking this question (opened or as stored). */
  key(question: Question): string {
    return keyOfStored(this.stored(question));
  }

  /** The values of this subject opened from stored questions. */
  valuesOf(subject: string): string[] {
    return [...(this.opened.get(subject) ?? [])];
  }

  /** After an erasure: its values are no longer kept, nor the forms of questions that held them. */
  forget(subject: string): void {
    this.opened.delete(subject);
    for (const [key, stored] of this.storedForms) if (subjectsOf(stored).includes(subject)) this.storedForms.delete(key);
  }

  private remember(subject: string, value: string): void {
    const values = this.opened.get(subject) ?? new Set<string>();
    values.add(value);
    this.opened.set(subject, values);
  }
}

/** The grouping key of a question as stored: questionKey, of it with each sealed value replaced by its subject's id. */
export function keyOfStored(stored: Question): string {
  if (!holdsSealedValue(stored)) return questionKey(stored);
  const pseudonymous = mapStrings(stored, (value) => replaceSealed(value, (token) => `\u0000${subjectOfToken(token)}\u0000`));
  const entries = Object.entries(pseudonymous).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `hmac-subject:${createHash('sha256').update(JSON.stringify(entries)).digest('hex')}`;
}

/** The subjects whose values a stored question holds sealed. */
export function subjectsOf(stored: Question): string[] {
  const ids = new Set<string>();
  mapStrings(stored, (value) => replaceSealed(value, (token) => (ids.add(subjectOfToken(token)), token)));
  return [...ids];
}

/** Whether a question (as stored) holds a sealed value. */
export function holdsSealedValue(question: Question): boolean {
  return Object.values(question).some((value) => typeof value === 'string' && value.includes(SEALED_PREFIX));
}

/** What a sealed value opens to without its plaintext. */
export function isMarker(value: string): boolean {
  return /^\[(erased on \d{4}-\d{2}-\d{2}|key unavailable)\]$/.test(value);
}

const ERASED = /^\[erased on \d{4}-\d{2}-\d{2}\]$/;

function mapStrings(question: Question, map: (value: string) => string): Question {
  return Object.fromEntries(Object.entries(question).map(([key, value]) => [key, typeof value === 'string' ? map(value) : value])) as unknown as Question;
}

function canonical(question: Question): string {
  return JSON.stringify(Object.entries(question).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
