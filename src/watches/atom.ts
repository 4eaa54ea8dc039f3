import { Feed } from 'feed';
import type { SequencedNotice } from './notice';

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
 * the notice's summary, its content what changed (before → after per JSON path) and why, its
 * authors the actors of the events that changed it. Written by the `feed` package.
 */
export function atomFeed(meta: FeedMeta, notices: readonly SequencedNotice[], base: string): string {
  const newest = [...notices].sort((a, b) => Number(BigInt(b.sequence) - BigInt(a.sequence)));
  const feed = new Feed({
    id: meta.self,
    title: meta.title,
    link: meta.link,
    updated: new Date(newest[0]?.recordedAt ?? meta.since),
    generator: 'Annals',
    feedLinks: { atom: meta.self },
    author: { name: 'Annals' },
    // Required by the package's types, optional in Atom: left out.
    copyright: undefined as unknown as string,
  });
  for (const notice of newest) {
    feed.addItem({
      // The package marks titles and summaries type="html": reasons are text written by people, so escaped here.
      title: escape(notice.summary),
      id: `urn:uuid:${notice.id}`,
      link: `${base}${notice.path}`,
      date: new Date(notice.recordedAt),
      description: escape(notice.reasons.length ? `Why: ${notice.reasons.join('; ')}` : notice.summary),
      content: contentOf(notice),
      author: (notice.actors.length ? notice.actors : ['unknown']).map((name) => ({ name })),
    });
  }
  return feed.atom1();
}

/** HTML, escaped here; the feed package wraps it as type="html". */
function contentOf(notice: SequencedNotice): string {
  const rows = notice.changes
    .slice(0, 200)
    .map((c) => `<li><code>${escape(c.path || '/')}</code>: ${escape(short(c.before))} → ${escape(short(c.after))}</li>`)
    .join('');
  const events = notice.events
    .map((e) => `<li>${escape(e.type)} at position ${escape(e.position)} by ${escape(e.actor ?? 'unknown')}${e.reason ? `: ${escape(e.reason)}` : ''}</li>`)
    .join('');
  return `<p>${escape(notice.summary)}</p><h4>Changes</h4><ul>${rows}</ul><h4>Events</h4><ul>${events}</ul>`;
}

function short(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
