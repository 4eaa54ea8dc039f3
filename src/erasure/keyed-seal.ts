import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { conflict, invalid } from '../domain/errors';
import {
  holdsSealed,
  KEY_UNAVAILABLE,
  isSealed,
  mapSealed,
  replaceSealed,
  SEALED_END,
  SEALED_SUBJECTS,
  SEALED_PREFIX,
  subjectOfToken,
  type SubjectMark,
  type SubjectSeal,
} from '../event-store/subject-seal';
import { parsePointer, pointerOf, valueAt, withValueAt } from '../domain/json-pointer';
import type { SubjectKey, SubjectKeys } from '../event-store/subject-keys';
import { holdsWithheld, WITHHELD_PREFIX } from '../event-store/withheld';

type Stored = { readonly type: string; readonly data: unknown; readonly metadata?: unknown };

/** A subject id as this service makes them (`s` + 22 base64url characters): a mark may name one instead of a name. */
export const SUBJECT_ID = /^s[A-Za-z0-9_-]{22}$/;

/**
 * Stands for the prefix of a token a text held before sealOpenedValues sealed more in it: a raw NUL never
 * occurs in JSON text (JSON.stringify escapes it), so the two kinds never mix and the text comes back exact.
 */
const KEPT_TOKEN = '\u0000';

/** How many first characters index the spellings of opened values (shorter ones are searched for whole). */
const SPELLING_KEY = 5;

/** Spellings by their first characters: `here` those that end within `depth` + SPELLING_KEY (or a small group's all), `next` by the following ones. */
interface SpellingIndex {
  readonly depth: number;
  readonly here: string[];
  readonly next: Map<string, SpellingIndex>;
}

/** Groups this small are checked one by one rather than indexed deeper. */
const SPELLING_GROUP = 16;

function spellingIndex(forms: readonly string[], depth: number): SpellingIndex {
  const node: SpellingIndex = { depth, here: [], next: new Map() };
  if (depth > 0 && forms.length <= SPELLING_GROUP) {
    node.here.push(...forms);
    return node;
  }
  const groups = new Map<string, string[]>();
  for (const form of forms) {
    if (form.length < depth + SPELLING_KEY) node.here.push(form);
    else {
      const key = form.slice(depth, depth + SPELLING_KEY);
      const group = groups.get(key);
      if (group) group.push(form);
      else groups.set(key, [form]);
    }
  }
  for (const [key, group] of groups) node.next.set(key, spellingIndex(group, depth + SPELLING_KEY));
  return node;
}

/** Opening stops here: a token's plaintext holds tokens only as deep as marks were nested on one write. */
const MAX_NESTING = 8;

/** A token shorter than this cannot hold another in its plaintext (prefix, id and the cipher's 28 bytes, in base64url). */
const NESTED_TOKEN_LENGTH = 2 * (SEALED_PREFIX.length + 24) + 40;

/** A mark resolved against one event: where (data or metadata), the segments of its path, and its subject's key. */
interface Placed {
  readonly where: 'data' | 'metadata';
  readonly segments: readonly string[];
  readonly passage?: string;
  readonly subject: SubjectKey;
  readonly field: string;
  readonly order: number;
}

interface Interval {
  readonly start: number;
  readonly end: number;
  readonly mark: Placed;
  readonly children: Interval[];
}

/**
 * The subject seal over a key store: AES-256-GCM per value, the subject's id as associated data
 * (a sealed value moved to another subject fails to open). A sealed value reads
 * `annals:sealed:v1:<subject id>:<base64url(iv ‖ tag ‖ ciphertext)>`, followed by `;` when it is
 * a passage inside a text.
 *
 * What is sealed on write (docs/erasure.md, "What is marked"):
 * - by default: the names of entities of type `person` (FactRecorded, a FactCorrected's changed
 *   entities), a claimant whose claimantType is `person` (ClaimAsserted, ClaimCorrected), and the
 *   person a key wrote for (metadata.onBehalfOf), each the subject of its own name;
 * - what the write marks: any text value of the event, whole or a passage of it, as a subject's.
 * Opening is generic: any sealed token anywhere in an event's data or metadata is opened, so marking
 * more fields needs no change on the read path.
 */
export class KeyedSubjectSeal implements SubjectSeal {
  /** Subjects whose sealed values were met without a key and without an erasure: reported on /health. */
  readonly unavailable = new Set<string>();
  /**
   * Every value this process opened, with the subjects it was sealed for: what lets a text built
   * from the read models (a shared watch's answer, written to the log) be sealed again before it is
   * written (sealOpenedValues). Filled as the read models open events, and by `remember` for what
   * they opened before this process started; a subject's values are dropped once its erasure is done.
   * Kept only once `rememberOpenedValues` asked for them (the shared watches): a single node writes no
   * answer to the log, and would keep every name it ever opened in memory for nothing.
   */
  private readonly opened = new Map<string, Set<string>>();
  private remembering = false;
  private openedByLength: { byLength: [string, Set<string>][]; index: SpellingIndex } | undefined;

  /** Set over a shared key store only (see SubjectSeal): a local file answers every call itself. */
  readonly prepareToSeal?: (values: readonly unknown[], marks?: readonly SubjectMark[]) => Promise<void>;
  readonly prepareToOpen?: (events: readonly Stored[]) => Promise<void>;

  constructor(private readonly keys: SubjectKeys) {
    if (keys.shared) {
      this.prepareToSeal = (values, marks) => this.loadForSeal(values, marks);
      this.prepareToOpen = (events) => this.loadForOpen(events);
    }
  }

  /** The subjects a write may seal for: persons' names, person claimants and `onBehalfOf` anywhere in `values`, and the marks' subjects. */
  private async loadForSeal(values: readonly unknown[], marks: readonly SubjectMark[] = []): Promise<void> {
    const names = new Set<string>();
    const ids = new Set<string>();
    const name = (value: unknown) => {
      if (typeof value === 'string' && value.trim() !== '') names.add(value);
    };
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      if (!isRecord(node)) return;
      if (node.type === 'person') name(node.name);
      if (node.claimantType === 'person') name(node.claimant);
      name(node.onBehalfOf);
      Object.values(node).forEach(walk);
    };
    values.forEach(walk);
    for (const mark of marks) {
      if (SUBJECT_ID.test(mark.subject)) ids.add(mark.subject);
      else name(mark.subject);
    }
    await this.keys.loadIds([...ids]);
    await this.keys.loadNames([...names]);
  }

  /**
   * The keys of every subject sealed in these events held, those of tokens nested in a token's
   * plaintext too: a nested token is found only once the outer one is opened, so this goes a level
   * deeper while it finds new subjects (only tokens long enough to hold one are opened for it).
   */
  private async loadForOpen(events: readonly Stored[]): Promise<void> {
    const seen = new Set<string>();
    let tokens: string[] = [];
    for (const event of events) {
      mapSealed(event, (sealed) => {
        seen.add(subjectOfToken(sealed));
        tokens.push(sealed);
        return sealed;
      });
      const packed = isRecord(event.data) ? event.data[SEALED_SUBJECTS] : undefined;
      if (Array.isArray(packed)) for (const id of packed) if (typeof id === 'string') seen.add(id);
    }
    let wanted = [...seen];
    for (let depth = 0; wanted.length > 0 && depth <= MAX_NESTING; depth++) {
      await this.keys.loadIds(wanted);
      const inner: string[] = [];
      for (const token of tokens) {
        if (token.length < NESTED_TOKEN_LENGTH) continue;
        const plaintext = this.decrypt(token);
        if (plaintext?.includes(SEALED_PREFIX)) {
          replaceSealed(plaintext, (nested) => {
            inner.push(nested);
            return nested;
          });
        }
      }
      wanted = [...new Set(inner.map(subjectOfToken))].filter((id) => !seen.has(id));
      wanted.forEach((id) => seen.add(id));
      tokens = inner;
    }
  }

  seal<E extends Stored>(event: E, marks: readonly SubjectMark[] = []): E {
    refuseTokens(event.data, 'data');
    refuseTokens(event.metadata, 'metadata');
    const given = marks.map((mark, i) => ({ ...mark, where: 'data' as const, field: mark.field ?? `subjects[${i}]`, byName: false }));
    const placed = [...defaultMarks(event), ...given].map(
      (mark, order): Placed => ({
        where: mark.where,
        segments: parsePointer(mark.path, `${mark.field}.path`),
        ...(mark.passage === undefined ? {} : { passage: mark.passage }),
        // A person's name is always a name, even one shaped like a subject id; only a write's mark may name an id.
        subject: mark.byName ? this.keys.subjectFor(mark.subject) : this.subjectOf(mark.subject, `${mark.field}.subject`),
        field: mark.field,
        order,
      }),
    );
    if (placed.length === 0) return event;
    let data = event.data;
    let metadata = event.metadata;
    for (const group of groupByValue(placed)) {
      const { where, segments } = group[0];
      const value = valueAt(where === 'data' ? data : metadata, segments);
      // A path the decided event does not hold (a correction that left the value as it was) stores nothing to seal.
      if (typeof value !== 'string' || value === '') continue;
      const sealed = this.sealText(value, group);
      if (where === 'data') data = withValueAt(data, segments, sealed);
      else metadata = withValueAt(metadata, segments, sealed);
    }
    const result = { ...event, data, ...(metadata === undefined ? {} : { metadata }) };
    for (const mark of marks) refuseLeftInClear(result, mark);
    return result;
  }

  /**
   * The value as JSON text with every text this seal would seal for a subject (persons' names, person
   * claimants, what the marks mark, the names the marks give) replaced by that subject's id: what a
   * request fingerprint may be taken of without letting a guessed name be confirmed against it.
   */
  pseudonymous(value: unknown, marks: readonly SubjectMark[] = []): string {
    const texts = new Map<string, string>();
    const add = (text: string | undefined, subject: () => SubjectKey) => {
      const trimmed = text?.trim();
      if (trimmed && !texts.has(trimmed)) texts.set(trimmed, subject().id);
    };
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      if (!isRecord(node)) return;
      if (node.type === 'person' && typeof node.name === 'string') add(node.name, () => this.keys.subjectFor(node.name as string));
      if (node.claimantType === 'person' && typeof node.claimant === 'string') add(node.claimant, () => this.keys.subjectFor(node.claimant as string));
      Object.values(node).forEach(walk);
    };
    walk(value);
    marks.forEach((mark, i) => {
      const subject = () => this.subjectOf(mark.subject, `${mark.field ?? `subjects[${i}]`}.subject`);
      add(mark.passage ?? mark.text, subject);
      add(mark.subject, subject);
    });
    let json = JSON.stringify(value) ?? '';
    // Longest first, so that a name inside a longer marked text goes with it.
    for (const [text, id] of [...texts].sort(([a], [b]) => b.length - a.length)) json = json.split(JSON.stringify(text).slice(1, -1)).join(`\u0000${id}\u0000`);
    return json;
  }

  open<E extends Stored>(event: E): E {
    return mapSealed(withErasedClaimantsApart(event, (id) => this.keys.erasedAt(id)), (sealed) => this.openValue(sealed), true);
  }

  /** One value sealed for the subject that `name` belongs to. */
  sealValue(value: string, name: string): string {
    return this.sealFor(this.keys.subjectFor(name), value);
  }

  /** A token opened to its plaintext (tokens nested in it opened too), `[erased on D]` or `[key unavailable]`. */
  openValue(sealed: string, depth = 0): string {
    const id = subjectOfToken(sealed);
    const erasedAt = this.keys.erasedAt(id);
    if (erasedAt) return `[erased on ${erasedAt.slice(0, 10)}]`;
    const plaintext = this.decrypt(sealed);
    // A value that does not open under its subject's key was altered or belongs to a lost key: never guess.
    if (plaintext === undefined) return this.missing(id);
    const value = depth < MAX_NESTING ? replaceSealed(plaintext, (inner) => this.openValue(inner, depth + 1)) : plaintext;
    if (value !== '') this.rememberValue(id, value);
    return value;
  }

  /** The token's plaintext under its subject's key as held here; undefined without the key, or when it does not open. */
  private decrypt(sealed: string): string | undefined {
    const rest = sealed.slice(SEALED_PREFIX.length);
    const colon = rest.indexOf(':');
    const id = subjectOfToken(sealed);
    const key = this.keys.keyOf(id);
    if (!key || colon < 0) return undefined;
    try {
      const bytes = Buffer.from(rest.slice(colon + 1), 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${SEALED_PREFIX}${id}`));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** The values of this subject opened and kept so far (see rememberOpenedValues): what an erasure read elsewhere purges. */
  keptValuesOf(subject: string): string[] {
    return [...this.opened].filter(([, subjects]) => subjects.has(subject)).map(([value]) => value);
  }

  /** From now on every value opened is kept for sealOpenedValues (what was opened before: `remember` those events). */
  rememberOpenedValues(): void {
    this.remembering = true;
  }

  /** Events opened for their values alone (those the read models opened before this process started). */
  remember(event: Stored): void {
    mapSealed(event, (sealed) => {
      this.openValue(sealed);
      return sealed;
    });
  }

  /** After an erasure (once every holder of its answers forgot them): the subject's values are no longer kept. */
  forgetValues(subject: string): void {
    for (const [value, subjects] of this.opened) if (subjects.delete(subject) && subjects.size === 0) this.opened.delete(value);
    this.openedByLength = undefined;
  }

  /**
   * `text` (JSON text built from the read models: an answer, a notice) with every value this process
   * opened sealed again for its subjects, in each spelling it may stand in there (as it is, JSON-escaped,
   * URL-encoded); a value of a subject erased since stands as `[erased on D]`. Sealed tokens the text
   * already held (as stored in the log) are kept apart, so that openSealedValues gives `text` back exactly
   * while the keys live. The replacement is textual, as the watches' purge is: a value that is also part
   * of an unrelated word is sealed there too.
   */
  sealOpenedValues(text: string): string {
    // Without the values it would write names in clear: fail closed.
    if (!this.remembering) throw new Error('sealOpenedValues needs rememberOpenedValues() first: no opened value is known');
    const forms = this.spellingsIn(text);
    const seal = (part: string, from: number): string => {
      for (let i = from; i < forms.length; i++) {
        const [form, subjects] = forms[i];
        if (!part.includes(form)) continue;
        // Shorter values inside this one (a passage of another subject within it) are sealed inside its token.
        const token = this.tokenFor(seal(form, i + 1), subjects);
        return part
          .split(form)
          .map((rest) => seal(rest, i + 1))
          .join(token);
      }
      return part;
    };
    return seal(text.split(SEALED_PREFIX).join(KEPT_TOKEN), 0);
  }

  /** The inverse of sealOpenedValues: each token opened (`[erased on D]` once its subject was erased), the tokens kept apart restored. */
  openSealedValues(text: string): string {
    return replaceSealed(text, (token) => this.openValue(token)).split(KEPT_TOKEN).join(SEALED_PREFIX);
  }

  private tokenFor(plaintext: string, subjects: ReadonlySet<string>): string {
    let value = plaintext;
    for (const id of subjects) {
      const erasedAt = this.keys.erasedAt(id);
      if (erasedAt) return `[erased on ${erasedAt.slice(0, 10)}]`;
      const key = this.keys.keyOf(id);
      // A key gone without an erasure: the value is not written (fail closed), as a missing key reads.
      if (!key) return KEY_UNAVAILABLE;
      value = this.sealFor({ id, key }, value) + SEALED_END;
    }
    return value;
  }

  /**
   * The spellings that occur in `text`, longest first: found by one pass over the text, each position
   * looked up in an index of the spellings by their first characters (five at a time, deeper where
   * many share them), so the cost follows the text and not the number of values this process knows.
   */
  private spellingsIn(text: string): [string, Set<string>][] {
    const { byLength, index } = this.spellings();
    const found = new Set<string>();
    for (const form of index.here) if (text.includes(form)) found.add(form);
    for (let at = 0; at < text.length; at++) {
      for (let node = index.next.get(text.slice(at, at + SPELLING_KEY)); node; node = node.next.get(text.slice(at + node.depth, at + node.depth + SPELLING_KEY))) {
        for (const form of node.here) if (!found.has(form) && text.startsWith(form, at)) found.add(form);
      }
    }
    return found.size === 0 ? [] : byLength.filter(([form]) => found.has(form));
  }

  /** The opened values in each spelling they may take in JSON text, longest first (a name inside a longer passage goes with it). */
  private spellings(): { byLength: [string, Set<string>][]; index: SpellingIndex } {
    if (!this.openedByLength) {
      const forms = new Map<string, Set<string>>();
      for (const [value, subjects] of this.opened) {
        for (const form of [JSON.stringify(value).slice(1, -1), encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)]) {
          const all = forms.get(form) ?? new Set<string>();
          subjects.forEach((s) => all.add(s));
          forms.set(form, all);
        }
      }
      const byLength = [...forms].filter(([form]) => form.length > 0).sort(([a], [b]) => b.length - a.length);
      this.openedByLength = { byLength, index: spellingIndex(byLength.map(([form]) => form), 0) };
    }
    return this.openedByLength;
  }

  private rememberValue(id: string, value: string): void {
    if (!this.remembering) return;
    const subjects = this.opened.get(value);
    if (subjects?.has(id)) return;
    if (subjects) subjects.add(id);
    else this.opened.set(value, new Set([id]));
    this.openedByLength = undefined;
  }

  private sealFor(subject: SubjectKey, value: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', subject.key, iv);
    cipher.setAAD(Buffer.from(`${SEALED_PREFIX}${subject.id}`));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return `${SEALED_PREFIX}${subject.id}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
  }

  /**
   * A subject named by a write: a subject id this store gave (refused when unknown or erased: a
   * typo must not make a subject nobody can find), or a name, whose subject is made on first use.
   */
  private subjectOf(subject: string, field: string): SubjectKey {
    if (!SUBJECT_ID.test(subject)) return this.keys.subjectFor(subject);
    const erasedAt = this.keys.erasedAt(subject);
    if (erasedAt) throw conflict(`subject ${subject} was erased on ${erasedAt}; nothing more can be sealed for it`, field);
    const key = this.keys.keyOf(subject);
    if (!key) throw invalid(`${field}: no subject ${subject} is known to this service (name the person, or give an id it made)`, field);
    return { id: subject, key };
  }

  /**
   * The text with each marked interval sealed: a whole-value mark covers it all, a passage every
   * place it occurs. Intervals may nest (a passage of a quote marked for a second person: the inner
   * one is sealed first and its token sealed again inside the outer), but never half overlap, as one
   * plaintext cannot be cut into two subjects' pieces that share characters.
   */
  private sealText(text: string, marks: readonly Placed[]): string {
    const intervals: Interval[] = [];
    for (const mark of marks) {
      if (mark.passage === undefined) intervals.push({ start: 0, end: text.length, mark, children: [] });
      else for (const start of occurrences(text, mark.passage)) intervals.push({ start, end: start + mark.passage.length, mark, children: [] });
    }
    intervals.sort((a, b) => a.start - b.start || b.end - a.end || a.mark.order - b.mark.order);
    const roots: Interval[] = [];
    const open: Interval[] = [];
    for (const interval of intervals) {
      while (open.length > 0 && open[open.length - 1].end <= interval.start) open.pop();
      const parent = open[open.length - 1];
      if (parent && interval.end > parent.end) {
        throw invalid(`${interval.mark.field}.passage overlaps the text ${parent.mark.field} marks without one holding the other`, `${interval.mark.field}.passage`);
      }
      if (parent && parent.start === interval.start && parent.end === interval.end && parent.mark.subject.id === interval.mark.subject.id) continue;
      (parent ? parent.children : roots).push(interval);
      open.push(interval);
    }
    return this.render(text, 0, text.length, roots);
  }

  private render(text: string, start: number, end: number, intervals: readonly Interval[]): string {
    let out = '';
    let at = start;
    for (const interval of intervals) {
      const token = this.sealFor(interval.mark.subject, this.render(text, interval.start, interval.end, interval.children));
      const whole = interval.start === start && interval.end === end;
      out += text.slice(at, interval.start) + (whole ? token : token + SEALED_END);
      at = interval.end;
    }
    return out + text.slice(at, end);
  }

  private missing(id: string): string {
    this.unavailable.add(id);
    return KEY_UNAVAILABLE;
  }
}

type DefaultMark = {
  readonly subject: string;
  readonly path: string;
  readonly passage?: undefined;
  readonly where: 'data' | 'metadata';
  readonly field: string;
  readonly byName: true;
};

/** What is personal by kind, whatever the write marks: persons' names, a person claimant, whom a key wrote for. */
function defaultMarks(event: Stored): DefaultMark[] {
  const marks: DefaultMark[] = [];
  const data = isRecord(event.data) ? event.data : {};
  const persons = (entities: unknown, at: string) => {
    if (!Array.isArray(entities)) return;
    entities.forEach((entity, i) => {
      if (isRecord(entity) && entity.type === 'person' && typeof entity.name === 'string' && entity.name.trim() !== '') {
        marks.push({ subject: entity.name, path: `${at}/${i}/name`, where: 'data', field: `${at.slice(1).replace(/\//g, '.')}[${i}].name`, byName: true });
      }
    });
  };
  const claimant = (holder: unknown, at: string) => {
    if (isRecord(holder) && holder.claimantType === 'person' && typeof holder.claimant === 'string') {
      marks.push({ subject: holder.claimant, path: `${at}/claimant`, where: 'data', field: `${at.slice(1).replace(/\//g, '.')}${at ? '.' : ''}claimant`, byName: true });
    }
  };
  if (event.type === 'FactRecorded') persons(data.entities, '/entities');
  if (event.type === 'FactCorrected' && isRecord(data.changes)) persons(data.changes.entities, '/changes/entities');
  if (event.type === 'ClaimAsserted') claimant(data, '');
  if (event.type === 'ClaimCorrected') claimant(data.changes, '/changes');
  if (isRecord(event.metadata) && typeof event.metadata.onBehalfOf === 'string' && event.metadata.onBehalfOf.trim() !== '') {
    marks.push({ subject: event.metadata.onBehalfOf, path: '/onBehalfOf', where: 'metadata', field: 'X-Actor', byName: true });
  }
  return marks;
}

/**
 * Claimants are the key by which a figure's claims are grouped into each claimant's revisions: two
 * erased claimants both shown as `[erased on D]` would become one, and each one's numbers the other's
 * revisions. An erased claimant reads `[erased on D] (subject <id>)`: apart, and still no name.
 */
function withErasedClaimantsApart<E extends Stored>(event: E, erasedAt: (id: string) => string | undefined): E {
  const at = event.type === 'ClaimAsserted' ? ['claimant'] : event.type === 'ClaimCorrected' ? ['changes', 'claimant'] : undefined;
  if (!at) return event;
  const claimant = valueAt(event.data, at);
  if (!isSealed(claimant)) return event;
  const id = subjectOfToken(claimant);
  const on = erasedAt(id);
  return on ? { ...event, data: withValueAt(event.data, at, `[erased on ${on.slice(0, 10)}] (subject ${id})`) } : event;
}

/** A sealed token written by a client would open as someone else's value (or claim an erasure): refused. */
function refuseTokens(value: unknown, where: 'data' | 'metadata'): void {
  // Every write passes here and almost none holds a token: look first without building a path per value.
  if (holdsToken(value)) refuseTokensAt(value, where, []);
}

function holdsToken(value: unknown): boolean {
  if (typeof value === 'string') return holdsSealed(value) || holdsWithheld(value);
  if (Array.isArray(value)) return value.some(holdsToken);
  if (isRecord(value)) {
    for (const key in value) if (Object.hasOwn(value, key) && holdsToken(value[key])) return true;
  }
  return false;
}

function refuseTokensAt(value: unknown, where: 'data' | 'metadata', segments: string[]): void {
  if (holdsSealed(value)) {
    const field = where === 'metadata' ? segments.join('.') : segments.join('.') || 'body';
    throw invalid(`${field} holds "${SEALED_PREFIX}", which only this service writes (a sealed value)`, field);
  }
  if (typeof value === 'string' && holdsWithheld(value)) {
    const field = where === 'metadata' ? segments.join('.') : segments.join('.') || 'body';
    throw invalid(`${field} holds "${WITHHELD_PREFIX}", which only this service writes (a withheld value)`, field);
  }
  if (Array.isArray(value)) value.forEach((item, i) => refuseTokensAt(item, where, [...segments, String(i)]));
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) refuseTokensAt(item, where, [...segments, key]);
}

/**
 * The safety net of a mark: the text it marks must stand nowhere in the stored event in clear. A
 * passage also written in an unmarked field (or in the reason), or a path the decided event moved
 * (a list deduplicated), would otherwise be stored readable for ever while the writer thinks it erasable.
 */
function refuseLeftInClear(event: Stored, mark: SubjectMark): void {
  const text = (mark.passage ?? mark.text)?.trim();
  if (!text) return;
  const field = mark.field ?? 'subjects';
  const check = (value: unknown, segments: string[], where: string) => {
    if (typeof value === 'string') {
      if (replaceSealed(value, () => '\u0000').includes(text)) {
        throw invalid(`the text ${field} marks also stands unmarked at ${where}${pointerOf(segments)}: mark it there too (or leave it out)`, `${field}.${mark.passage === undefined ? 'path' : 'passage'}`);
      }
    } else if (Array.isArray(value)) value.forEach((item, i) => check(item, [...segments, String(i)], where));
    else if (isRecord(value)) for (const [key, item] of Object.entries(value)) check(item, [...segments, key], where);
  };
  check(event.data, [], '');
  check(event.metadata, [], 'metadata ');
}

/** Marks of the same value, together, in the order given. */
function groupByValue(marks: readonly Placed[]): Placed[][] {
  const groups = new Map<string, Placed[]>();
  for (const mark of marks) {
    const key = `${mark.where}\u0000${mark.segments.join('\u0000')}`;
    groups.set(key, [...(groups.get(key) ?? []), mark]);
  }
  return [...groups.values()];
}

/** Where `passage` starts in `text`, each occurrence after the end of the one before. */
function occurrences(text: string, passage: string): number[] {
  const found: number[] = [];
  if (passage === '') return found;
  for (let at = text.indexOf(passage); at >= 0; at = text.indexOf(passage, at + passage.length)) found.push(at);
  return found;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
