/*
 * What the service puts in place of what it may not show (docs/erasure.md): `[erased on D]` for a
 * person's data erased on request, `[withheld on D]` for content withheld, `[key unavailable]` when
 * the service lacks a subject's key. The page shows each as a marker that reads as one, never as
 * ordinary text a reader could take for a name: every text the page draws goes through here (dom.ts).
 */

const MARK = /\[(?:erased|withheld) on \d{4}-\d{2}-\d{2}\]|\[key unavailable\]/g;

type Kind = 'erased' | 'withheld' | 'unavailable';

const EXPLAINED: Record<Kind, string> = {
  erased: 'Erased on request: the data recorded here was destroyed on that day. The record and its proofs stay intact.',
  withheld: 'Withheld on that day: this content is no longer shown. The record and its proofs stay intact.',
  unavailable: 'This service does not hold the key to show this value.',
};

export function kindOf(mark: string): Kind {
  return mark.startsWith('[erased') ? 'erased' : mark.startsWith('[withheld') ? 'withheld' : 'unavailable';
}

/** The markers in `text`, in order ([] when none). */
export function marksIn(text: string): string[] {
  return text.match(MARK) ?? [];
}

/** `text` as nodes: plain text, with each marker in a span of its own (class `redaction redaction-<kind>`). */
export function textWithMarks(text: string): Node {
  if (marksIn(text).length === 0) return document.createTextNode(text);
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const match of text.matchAll(MARK)) {
    const start = match.index ?? 0;
    if (start > at) fragment.appendChild(document.createTextNode(text.slice(at, start)));
    const kind = kindOf(match[0]);
    const mark = document.createElement('span');
    mark.className = 'redaction redaction-' + kind;
    mark.title = EXPLAINED[kind];
    mark.textContent = match[0];
    fragment.appendChild(mark);
    at = start + match[0].length;
  }
  if (at < text.length) fragment.appendChild(document.createTextNode(text.slice(at)));
  return fragment;
}
