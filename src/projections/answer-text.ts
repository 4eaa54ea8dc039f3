/**
 * An answer's JSON text, as `JSON.stringify(answer)` gives it byte for byte, with the text of each
 * shared view spliced in rather than written again. The read models' queries share one frozen view
 * per version row (a fact or claim as of a certainty, see FactViews and ClaimViews): most of an as-of
 * answer is those views, the same objects answer after answer. Each view marked here has its text
 * written once, on the first answer that holds it, and kept beside it (a WeakMap: it goes with the view).
 *
 * Only frozen objects are marked, so a text can never go stale. The walk goes into the answer itself
 * and into the lists and objects marked as holding views (holdsViews); anything else (a history entry,
 * a Date, a class instance, a toJSON) is written by JSON.stringify itself, which is faster at it than
 * any walk in JavaScript.
 */
const texts = new WeakMap<object, string | null>();
const containers = new WeakSet<object>();

/** Marks a frozen view whose text may be kept; returns it. */
export function sharedView<T extends object>(view: T): T {
  if (!Object.isFrozen(view)) throw new TypeError('only a frozen view can keep its text');
  texts.set(view, null);
  return view;
}

/**
 * A view written text first: the frozen value `JSON.parse(text)` gives, keeping `text` as its text,
 * so that no answer writes it again. `text` must be JSON as JSON.stringify writes it (no spaces, keys
 * as they come, its escapes and numbers), so that it is the text of what it parses to: a read model
 * builds it by splicing a stored body JSON.stringify wrote with fields it writes the same way. Parsing
 * that text is also the cheapest way V8 has to build the object (far cheaper than spreading a parsed
 * body into a literal and adding the derived fields).
 */
export function viewFromText<T extends object>(text: string): T {
  const view = Object.freeze(JSON.parse(text) as T);
  texts.set(view, text);
  return view;
}

/** A shared view's text (written now if it was not yet), as answerText writes it. */
export function viewText(view: object): string {
  return write(view) ?? 'null';
}

/** Marks a list or object built for an answer whose members may be shared views; returns it. */
export function holdsViews<T extends object>(container: T): T {
  containers.add(container);
  return container;
}

/** `JSON.stringify(value)`, the same text, with every shared view's text written once and reused. */
export function answerText(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && !texts.has(value) ? objectText(value) : write(value);
}

function write(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      // undefined, a function, a symbol (left out) or a bigint (throws), as JSON.stringify has it.
      return JSON.stringify(value);
  }
  const kept = texts.get(value);
  if (kept !== undefined) {
    if (kept !== null) return kept;
    // A view holds no other view to splice: V8's own serialiser writes it fastest.
    const text = JSON.stringify(value);
    texts.set(value, text);
    return text;
  }
  return containers.has(value) ? objectText(value) : JSON.stringify(value);
}

function objectText(value: object): string | undefined {
  if ('toJSON' in value) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + (write(value[i]) ?? 'null');
    return out + ']';
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return JSON.stringify(value);
  let out = '{';
  let first = true;
  for (const key of Object.keys(value)) {
    const text = write((value as Record<string, unknown>)[key]);
    if (text === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${text}`;
    first = false;
  }
  return out + '}';
}
