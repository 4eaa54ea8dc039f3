import { invalid } from './errors';
import { optionalText, requireRecord, requireText } from './text';
import { parseDate, type DateText } from './valid-time';

/**
 * Where a fact or a claim comes from. Every fact and claim has at least one: Annals records nothing
 * unsourced. The publisher is who reported it (the outlet), never assumed to be who made a claim:
 * a claim's claimant is its own field. A web page may carry no date: then `publishedOn` is absent
 * and `accessedOn` says when it was read. `archivedUrl` is a copy that outlives the page.
 */
export type Source = {
  readonly publisher: string;
  readonly title: string;
  readonly url: string;
  readonly publishedOn?: DateText;
  readonly accessedOn?: DateText;
  readonly archivedUrl?: string;
  readonly quote?: string;
};

export const SOURCE_LIMITS = { publisher: 200, title: 500, url: 2048, quote: 2000 } as const;
const SOURCE_KEYS = ['publisher', 'title', 'url', 'publishedOn', 'accessedOn', 'archivedUrl', 'quote'];

/** Checks a source and returns a clean copy (trimmed, no extra keys, no optional key when blank). */
export function validateSource(value: unknown, field: string): Source {
  const raw = requireRecord(value, field);
  for (const key of Object.keys(raw)) {
    if (!SOURCE_KEYS.includes(key) && raw[key] !== undefined) throw invalid(`${field}.${key} is not part of a source`, `${field}.${key}`);
  }
  const publisher = requireText(raw.publisher, `${field}.publisher`, SOURCE_LIMITS.publisher);
  const title = requireText(raw.title, `${field}.title`, SOURCE_LIMITS.title);
  const url = validateUrl(raw.url, `${field}.url`);
  const publishedOn = raw.publishedOn === undefined ? undefined : parseDate(raw.publishedOn, `${field}.publishedOn`).value;
  const accessedOn = raw.accessedOn === undefined ? undefined : parseDate(raw.accessedOn, `${field}.accessedOn`).value;
  const archivedUrl = raw.archivedUrl === undefined ? undefined : validateUrl(raw.archivedUrl, `${field}.archivedUrl`);
  const quote = optionalText(raw.quote, `${field}.quote`, SOURCE_LIMITS.quote);
  return {
    publisher,
    title,
    url,
    ...(publishedOn === undefined ? {} : { publishedOn }),
    ...(accessedOn === undefined ? {} : { accessedOn }),
    ...(archivedUrl === undefined ? {} : { archivedUrl }),
    ...(quote === undefined ? {} : { quote }),
  };
}

/** Kept as the client wrote it (not URL.href), so the stored link is the one the source published. */
function validateUrl(value: unknown, field: string): string {
  const text = requireText(value, field, SOURCE_LIMITS.url);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`${field} must be a URL`, field);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`${field} must be an http or https URL`, field);
  if (url.hostname === '') throw invalid(`${field} must name a host`, field);
  return text;
}
