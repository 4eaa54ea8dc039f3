import { Feed } from 'feed';
import type { SequencedNotice } from './notice';
import { detailLines } from './notice-text';

export const ATOM_CONTENT_TYPE = 'application/atom+xml; charset=utf-8';

export interface FeedMeta {
  /** Absolute URL of the feed itself (its Atom id too: stable for a watch). */
  readonly self: string;
  readonly title: string;
  /** Absolute URL of the answer the feed is about. */
  readonly link: string;
  /** When there are no notices yet: the watch's creation. */
  readonly since: string;
}

/**
 * An Atom 1.0 feed (RFC 4287) of notices, newest first, for feed readers: each entry's title is
 * the notice's summary sentence, its content that sentence with the details below (each claim's or
 * value's before → after, then the events with who and why), its authors the actors of the events
 * that changed it. Written by the `feed` package.
 */
export function atomFeed(meta: FeedMeta, notices: readonly SequencedNotice[], base: string): string {
  const newest = [...notices].sort((a, b) => Number(BigInt(b.sequence) - BigInt(a.sequence)));
  const feed = new Feed({
    id: meta.self,
    title: xmlText(meta.title),
    link: meta.link,
    updated: new Date(newest[0]?.recordedAt ?? meta.since),
    generator: 'Annals',
    feedLinks: { atom: meta.self },
    author: { name: 'Annals' },
    // Required by the package's types, optional in Atom: left out.
    copyright: undefined as unknown as string,
  });
  for (const notice of newest) {
    const link = httpLink(notice.path, base);
    feed.addItem({
      // The package marks titles and summaries type="html": reasons are text written by people, so escaped here.
      title: escape(notice.summary),
      id: `urn:uuid:${xmlText(notice.id)}`,
      // The package requires a link; an entry whose path would not make an http(s) URL points at the feed's own.
      link: link ?? meta.link,
      date: new Date(notice.recordedAt),
      description: escape(notice.reasons.length ? `Why: ${notice.reasons.join('; ')}` : notice.summary),
      content: contentOf(notice),
      author: (notice.actors.length ? notice.actors : ['unknown']).map((name) => ({ name: xmlText(name) })),
    });
  }
  // Every text above was cleaned; this pass also covers what the package itself writes from them.
  return xmlText(feed.atom1());
}

/**
 * Characters XML 1.0 cannot hold, raw or as a character reference (C0 controls but tab, newline
 * and carriage return; lone surrogates; U+FFFE and U+FFFF): one in a reason or a title written by
 * a client would make the whole feed unreadable to every reader, so each becomes U+FFFD.
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlText(text: string): string {
  return text.replace(NOT_XML, '\uFFFD');
}

/** An absolute http(s) URL for a notice's path on `base`, or undefined (a feed reader follows links: no javascript:, data: or other schemes). */
function httpLink(path: string, base: string): string | undefined {
  if (!path.startsWith('/') || path.startsWith('//')) return undefined;
  try {
    // Appended, not resolved: a base with a path (behind a proxy, https://desk.example.org/annals) keeps it.
    const url = new URL(`${base}${path}`);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** HTML, escaped here; the feed package wraps it as type="html". */
function contentOf(notice: SequencedNotice): string {
  const rows = detailLines(notice.changes.slice(0, 200), notice.before, notice.after)
    .map((line) => `<li>${escape(line)}</li>`)
    .join('');
  const events = notice.events
    .map((e) => `<li>${escape(e.type)} by ${escape(e.actor ?? 'unknown')}${e.reason ? `: ${escape(e.reason)}` : ''} (${escape(e.recordedAt)}, position ${escape(e.position)})</li>`)
    .join('');
  return `<p>${escape(notice.summary)}</p><h4>What changed</h4><ul>${rows}</ul><h4>Events</h4><ul>${events}</ul>`;
}

function escape(text: string): string {
  return xmlText(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
