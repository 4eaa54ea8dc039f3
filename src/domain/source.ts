import { invalid } from './errors';
import { optionalText, requireRecord, requireText } from './text';
import { parsePartialDate, type PartialDate } from './valid-time';

/** Where a fact or a claim comes from. Every fact and claim has one: Annals records nothing unsourced. */
export type Source = {
  readonly publisher: string;
  readonly title: string;
  readonly url: string;
  readonly publishedOn: PartialDate;
  readonly quote?: string;
};

export const SOURCE_LIMITS = { publisher: 200, title: 500, url: 2048, quote: 2000 } as const;

/** Checks a source and returns a clean copy (trimmed, no extra keys, no quote key when blank). */
export function validateSource(value: unknown, field: string): Source {
  const raw = requireRecord(value, field);
  const publisher = requireText(raw.publisher, `${field}.publisher`, SOURCE_LIMITS.publisher);
  const title = requireText(raw.title, `${field}.title`, SOURCE_LIMITS.title);
  const url = validateUrl(raw.url, `${field}.url`);
  const publishedOn = parsePartialDate(raw.publishedOn, `${field}.publishedOn`).value;
  const quote = optionalText(raw.quote, `${field}.quote`, SOURCE_LIMITS.quote);
  return quote === undefined ? { publisher, title, url, publishedOn } : { publisher, title, url, publishedOn, quote };
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
