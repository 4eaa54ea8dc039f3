/**
 * An answer stored as the edit of the one before it. A figure's answer is hundreds of kB of JSON
 * and a claim changes a few kB of it; storing each whole, even deflated, grows watches.db by tens
 * of kB per change. The edit is on the text, not the parsed value: rebuilding it gives back the
 * exact text, so its SHA-256 is the answer's hash again (checked on every read).
 *
 * The text is cut into chunks after each `},` and `],` (one JSON object or array of a list each,
 * roughly), and the chunk sequences are compared with Myers' O(ND) algorithm. Where the chunks fall
 * does not matter for exactness: the rebuilt text is the concatenation of chunks whatever they are.
 */

/** [first chunk of the base replaced, how many, the text put in their place]; in base order. */
export type Splice = readonly [number, number, string];

/** Past this many chunks changed an edit saves little: the answer is stored whole instead. */
const MAX_EDIT = 4000;

/** The text cut after each `},` and `],` (as `text.split(/(?<=[}\]],)/)`, ten times faster: a scan for commas, no regular expression). */
export function chunksOf(text: string): string[] {
  const chunks: string[] = [];
  let start = 0;
  for (let comma = text.indexOf(',', 1); comma !== -1; comma = text.indexOf(',', comma + 1)) {
    const before = text.charCodeAt(comma - 1);
    // No cut at the very end: split() gives no empty last chunk there (stored edits count chunks the same way).
    if ((before !== 0x7d && before !== 0x5d) || comma === text.length - 1) continue;
    chunks.push(text.slice(start, comma + 1));
    start = comma + 1;
  }
  chunks.push(text.slice(start));
  return chunks;
}

/**
 * The splices that turn `base` into `next`, or undefined when they differ too much to be worth it.
 * A new answer is mostly its predecessor: the text both begin and end with is found first by
 * comparing the strings (a memory compare), and only the chunks between are cut and compared;
 * the chunks before are counted, not cut. Cutting and numbering the whole text took most of the edit.
 */
export function deltaOf(base: string, next: string): Splice[] | undefined {
  const [from, toBase, toNext, skipped] = middleOf(base, next);
  const a = from === toBase ? [] : chunksOf(base.slice(from, toBase));
  const b = from === toNext ? [] : chunksOf(next.slice(from, toNext));
  const script = chunkDelta(a, b);
  return script?.map(([at, removed, text]) => [at + skipped, removed, text]);
}

/** Whether a cut (see chunksOf) falls after the comma at `comma`: `},` or `],`, not the text's last character. */
function cutAt(text: string, comma: number): boolean {
  if (comma <= 0 || comma >= text.length - 1 || text.charCodeAt(comma) !== 0x2c) return false;
  const before = text.charCodeAt(comma - 1);
  return before === 0x7d || before === 0x5d;
}

/**
 * Where the two texts differ, widened to whole chunks: [the offset both middles start at, where the
 * base's middle ends, where the next's ends, how many chunks come before the middle]. The chunks
 * before and after the middles are the same in both texts, at the same places of chunksOf.
 */
function middleOf(base: string, next: string): [number, number, number, number] {
  const shorter = Math.min(base.length, next.length);
  let prefix = 0;
  for (let block = 4096; prefix + block <= shorter && base.slice(prefix, prefix + block) === next.slice(prefix, prefix + block); ) prefix += block;
  while (prefix < shorter && base.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++;
  // The last cut inside the common text (a comma that is a cut in both: not the last character of either).
  let start = 0;
  for (let at = prefix - 1; at > 0; ) {
    const brace = Math.max(base.lastIndexOf('},', at - 1), base.lastIndexOf('],', at - 1));
    if (brace < 0) break;
    if (cutAt(base, brace + 1) && cutAt(next, brace + 1)) {
      start = brace + 2;
      break;
    }
    at = brace;
  }
  let skipped = 0;
  for (let comma = base.indexOf(',', 1); comma !== -1 && comma < start; comma = base.indexOf(',', comma + 1)) if (cutAt(base, comma)) skipped++;
  // The common end, not reaching back into the common start.
  let suffix = 0;
  const most = shorter - start;
  for (let block = 4096; suffix + block <= most && base.slice(base.length - suffix - block, base.length - suffix) === next.slice(next.length - suffix - block, next.length - suffix); ) suffix += block;
  while (suffix < most && base.charCodeAt(base.length - 1 - suffix) === next.charCodeAt(next.length - 1 - suffix)) suffix++;
  // The first cut whose comma and the character before it are in the common end: the chunks after it are the same.
  let endBase = base.length;
  for (let at = base.length - suffix; at < base.length; ) {
    const [x, y] = [base.indexOf('},', at), base.indexOf('],', at)];
    if (x === -1 && y === -1) break;
    const brace = x === -1 ? y : y === -1 ? x : Math.min(x, y);
    if (cutAt(base, brace + 1) && cutAt(next, brace + 1 - base.length + next.length)) {
      endBase = brace + 2;
      break;
    }
    at = brace + 1;
  }
  return [start, endBase, endBase - base.length + next.length, skipped];
}

/** The splices between two lists of chunks (indices into `a`), or undefined past MAX_EDIT. */
function chunkDelta(a: readonly string[], b: readonly string[]): Splice[] | undefined {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  // Chunks as numbers (equal text, equal number): Myers compares them many times over, and chunks of
  // the same list begin alike (`{"kind":"asserted","claimId":…`), so comparing their text is slow.
  const ids = new Map<string, number>();
  const idsOf = (chunks: readonly string[], from: number, to: number) => {
    const out = new Int32Array(to - from);
    for (let i = from; i < to; i++) {
      let id = ids.get(chunks[i]);
      if (id === undefined) ids.set(chunks[i], (id = ids.size));
      out[i - from] = id;
    }
    return out;
  };
  const script = myers(idsOf(a, start, endA), idsOf(b, start, endB), MAX_EDIT);
  if (!script) return undefined;
  return script.map(([at, removed, added]) => [at + start, removed, b.slice(added[0] + start, added[1] + start).join('')]);
}

/** [offset in the base text, how many of its characters are replaced, the text put in their place]; in base order. */
export type TextSplice = readonly [number, number, string];

/**
 * The splices that turn the text of `base` into that of `next`, both given as pieces (answer-diff.ts,
 * piecesOf: an answer's list items each a piece, the same string where the answer reused the object),
 * or undefined when they differ too much to be worth it. The pieces are compared, not the text: what
 * both begin and end with is passed over by identity, and Myers runs on the few pieces between, so
 * the edit costs what changed, not the answer's length. Its places are offsets into the base's
 * text, which need no cutting to apply (applyTextDelta).
 */
export function pieceDeltaOf(base: readonly string[], next: readonly string[]): TextSplice[] | undefined {
  let start = 0;
  while (start < base.length && start < next.length && base[start] === next[start]) start++;
  let endBase = base.length;
  let endNext = next.length;
  while (endBase > start && endNext > start && base[endBase - 1] === next[endNext - 1]) {
    endBase--;
    endNext--;
  }
  const ids = new Map<string, number>();
  const idsOf = (pieces: readonly string[], from: number, to: number) => {
    const out = new Int32Array(to - from);
    for (let i = from; i < to; i++) {
      let id = ids.get(pieces[i]);
      if (id === undefined) ids.set(pieces[i], (id = ids.size));
      out[i - from] = id;
    }
    return out;
  };
  const script = myers(idsOf(base, start, endBase), idsOf(next, start, endNext), MAX_EDIT);
  if (!script) return undefined;
  // Where each base piece starts in the base's text.
  const offsets = new Array<number>(endBase + 1);
  offsets[0] = 0;
  for (let i = 0; i < endBase; i++) offsets[i + 1] = offsets[i] + base[i].length;
  return script.map(([at, removed, added]) => {
    const from = offsets[at + start];
    return [from, offsets[at + start + removed] - from, next.slice(added[0] + start, added[1] + start).join('')];
  });
}

/** `base` with text splices (pieceDeltaOf) applied. */
export function applyTextDelta(base: string, splices: readonly TextSplice[]): string {
  const out: string[] = [];
  let at = 0;
  for (const [from, removed, text] of splices) {
    if (from < at || from + removed > base.length) throw new Error('a text edit does not fit its base');
    out.push(base.slice(at, from), text);
    at = from + removed;
  }
  out.push(base.slice(at));
  return out.join('');
}

/** `base` with the splices applied. */
export function applyDelta(base: string, splices: readonly Splice[]): string {
  const chunks = chunksOf(base);
  const out: string[] = [];
  let at = 0;
  for (const [first, removed, text] of splices) {
    for (; at < first; at++) out.push(chunks[at]);
    out.push(text);
    at += removed;
  }
  for (; at < chunks.length; at++) out.push(chunks[at]);
  return out.join('');
}

/**
 * Myers' greedy shortest edit script, as runs: [where in a, how many of a removed, [from, to) of b
 * inserted there]. Undefined past `limit` edits. Keeps each step's part of V to walk back the path.
 */
function myers(a: Int32Array, b: Int32Array, limit: number): [number, number, [number, number]][] | undefined {
  const n = a.length;
  const m = b.length;
  if (n === 0 && m === 0) return [];
  if (n === 0 || m === 0) return [[0, n, [0, m]]];
  const max = Math.min(n + m, limit);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    // Only the diagonals step d can read (-d…d): copying all of V at each step cost O(N·D).
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return undefined;
  // Walk back: each step is one removal (x moved) or one insertion (y moved), then a diagonal.
  const edits: { x: number; y: number; remove: boolean }[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && prev[d + k - 1] < prev[d + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = prev[d + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
    }
    edits.push(down ? { x: prevX, y: prevY, remove: false } : { x: prevX, y: prevY, remove: true });
    x = prevX;
    y = prevY;
  }
  edits.reverse();
  // Adjacent edits at the same place in a become one run.
  const runs: [number, number, [number, number]][] = [];
  for (const e of edits) {
    const last = runs[runs.length - 1];
    const ax = e.x;
    if (last && last[0] + last[1] === ax && last[2][1] === e.y) {
      if (e.remove) last[1]++;
      else last[2][1]++;
    } else {
      runs.push(e.remove ? [ax, 1, [e.y, e.y]] : [ax, 0, [e.y, e.y + 1]]);
    }
  }
  return runs;
}
