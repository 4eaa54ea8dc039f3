import { stringify } from 'csv-stringify/sync';
import type { ClaimQualifier } from '../domain/figure/figure.events';
import type { Confidence } from '../domain/confidence';
import { FIRST_DAY, LAST_DAY, parseDate } from '../domain/edtf';
import type { Source } from '../domain/source';
import { isPeriod, OPEN, UNKNOWN, type PartialDate } from '../domain/valid-time';
import type { FigureSummary, ClaimView } from '../projections/figures/figures.queries';
import type { FactView, TimelineFilter, TimelineQueries } from '../projections/timeline/timeline.queries';
import { CSV_LAYOUTS, sourceColumns, toSheetCell } from '../import/csv-layouts';

/** The clocks of an export and the timeline's filters; every view is answered from the read models as the API answers. */
export interface ViewClocks {
  readonly asOf?: string;
  readonly knownAt?: Date;
}

/** A figure's claims in force as a CSV in the claims import layout, so the sheet can be edited and imported back (--sync). */
export function claimsCsv(claims: readonly ClaimView[]): string {
  const columns = [...CSV_LAYOUTS.claim, ...extraSourceColumns(claims.map((c) => c.sources))];
  const rows = claims.map((c) => ({
    figure_id: c.figureId,
    id: c.claimId,
    claimant: c.claimant,
    value_kind: c.value.kind,
    value: c.value.kind === 'range' ? '' : c.value.value,
    min: c.value.kind === 'range' ? c.value.min : '',
    max: c.value.kind === 'range' ? c.value.max : '',
    qualifier: c.value.kind === 'bound' ? c.value.qualifier : '',
    asserted_on: c.assertedOn,
    period_from: c.period?.from ?? '',
    period_to: c.period?.to ?? '',
    ...confidenceCells(c.confidence),
    // An explicit rank only: a claim stored without one reads back as 'normal' and is exported so.
    rank: c.rank.value === 'normal' && !c.rank.reason ? '' : c.rank.value,
    rank_reason: c.rank.reason ?? '',
    inferred_from: (c.inferredFrom ?? []).join('; '),
    ...sourcesCells(c.sources),
  }));
  return sheet(rows, columns);
}

/** Every fact the timeline shows at these clocks, page by page through the same query the API pages. */
export function timelineFacts(timeline: TimelineQueries, filter: TimelineFilter): FactView[] {
  const facts: FactView[] = [];
  for (let cursor: string | undefined; ; ) {
    const page = timeline.timeline({ ...filter, limit: 500, ...(cursor ? { cursor } : {}) });
    facts.push(...page.items);
    if (!page.nextCursor) return facts;
    cursor = page.nextCursor;
  }
}

/** The timeline as a CSV in the facts import layout (one sourceN_ group per further source). */
export function timelineCsv(facts: readonly FactView[]): string {
  const columns = [...CSV_LAYOUTS.fact, ...extraSourceColumns(facts.map((f) => f.sources))];
  const rows = facts.map((f) => ({
    id: f.id,
    title: f.title,
    summary: f.summary,
    tags: f.tags.join('; '),
    entities: f.entities.map((e) => `${e.type}:${e.name}`).join('; '),
    at: isPeriod(f.validTime) ? '' : f.validTime.at,
    from: isPeriod(f.validTime) ? f.validTime.from : '',
    to: isPeriod(f.validTime) ? (f.validTime.to ?? '') : '',
    ...confidenceCells(f.confidence),
    ...sourcesCells(f.sources),
  }));
  return sheet(rows, columns);
}

/** Every cell through toSheetCell: what a record holds is text, never a formula the reader's spreadsheet runs. */
function sheet(rows: readonly Record<string, string | number>[], columns: string[]): string {
  const cells = rows.map((row) => Object.fromEntries(Object.entries(row).map(([column, value]) => [column, toSheetCell(String(value))])));
  return stringify(cells, { header: true, columns });
}

/**
 * JSON that can stand inside an HTML `<script>` element (a JSON-LD block, an inline TimelineJS
 * config): `<`, `>` and `&` as \u escapes so that no `</script>` or `<!--` closes it early, and
 * U+2028/U+2029 escaped for the JavaScript parsers that end a string at them. Still the same JSON.
 */
export function scriptSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A link an export may carry: http or https only (a `javascript:` or `data:` link runs where it is shown). */
export function webLink(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The timeline in Knight Lab's TimelineJS3 JSON format (https://timeline.knightlab.com/docs/json-format.html),
 * ready for their embed: one slide per fact, its dates at the precision recorded, a period's end as
 * end_date, its tags' first as group, its sources as links in the text and the first as media.
 */
export function timelineJs(facts: readonly FactView[], clocks: ViewClocks, title = 'Annals timeline') {
  const when = [clocks.asOf ? `the world as of ${clocks.asOf}` : undefined, clocks.knownAt ? `as recorded at ${clocks.knownAt.toISOString()}` : undefined].filter(Boolean);
  // TimelineJS puts every text field into the page as HTML: each is escaped here, and only web links go in.
  return {
    title: { text: { headline: escapeHtml(title), text: escapeHtml(when.length ? `${when.join(', ')}.` : 'The current record.') } },
    events: facts.map((f) => {
      const { start, end, note } = slideDates(f, clocks);
      const media = f.sources.find((s) => webLink(s.url));
      return {
        unique_id: f.id,
        start_date: tlDate(start),
        ...(end ? { end_date: tlDate(end) } : {}),
        text: {
          headline: escapeHtml(f.title),
          text: [
            f.summary ? `<p>${escapeHtml(f.summary)}</p>` : '',
            note ? `<p><em>${escapeHtml(note)}</em></p>` : '',
            `<p>Sources: ${f.sources.map(sourceHtml).join('; ')}</p>`,
            f.status === 'retracted' ? '<p><strong>Retracted from the record.</strong></p>' : '',
          ].join(''),
        },
        ...(f.tags[0] ? { group: escapeHtml(f.tags[0]) } : {}),
        ...(media ? { media: { url: media.url, caption: escapeHtml(media.title), credit: escapeHtml(media.publisher) } } : {}),
      };
    }),
  };
}

/**
 * A slide's dates. A period still open (no end, or `..`) has no end in TimelineJS's format and
 * would be drawn as a point: it ends at the export's as-of day (today without one) and its text says
 * it is ongoing. A period whose end is unknown stays a point at its start, and says so; one whose
 * start is open or unknown starts at its end.
 */
function slideDates(fact: FactView, clocks: ViewClocks): { start: PartialDate; end?: PartialDate; note?: string } {
  if (!isPeriod(fact.validTime)) return { start: fact.validTime.at };
  const { from, to } = fact.validTime;
  const known = (date: string | undefined): date is string => date !== undefined && date !== OPEN && date !== UNKNOWN;
  if (!known(from)) return { start: to as PartialDate, note: from === OPEN ? `Held until ${to}; its start is open.` : `Held until ${to}; its start is not known.` };
  if (to === UNKNOWN) return { start: from, note: `From ${from}; its end is not known.` };
  if (!known(to)) {
    const asOf = clocks.asOf ?? new Date().toISOString().slice(0, 10);
    return { start: from, end: asOf, note: `Ongoing as of ${asOf}.` };
  }
  return { start: from, end: to };
}

/** A source as a link when its URL is a web link, else as plain text (the URL shown, never followed). */
function sourceHtml(source: Source): string {
  const label = `${escapeHtml(source.publisher)}: ${escapeHtml(source.title)}`;
  return webLink(source.url) ? `<a href="${escapeHtml(source.url)}">${label}</a>` : `${label} (${escapeHtml(source.url)})`;
}

/**
 * A figure's claims as schema.org JSON-LD. Each claim is a schema.org `Claim` (author: the
 * claimant; datePublished: when it was asserted, when that is a plain date; appearance: its sources as CreativeWorks;
 * about: the figure; temporalCoverage: the period it covers; text: the number in words). Not a
 * ClaimReview: Annals records who claims what and keeps disputes open, it gives no verdict, so
 * there is no reviewRating to give; the number itself has no schema.org property on a Claim and
 * lives only in `text`; the figure's spread has no mapping at all.
 */
export function claimsJsonLd(figure: FigureSummary, claims: readonly ClaimView[], clocks: ViewClocks) {
  const about = {
    '@type': 'Thing',
    '@id': `urn:annals:figure:${figure.id}`,
    name: figure.name,
    ...(figure.description ? { description: figure.description } : {}),
  };
  return {
    '@context': 'https://schema.org',
    '@type': 'ItemList',
    name: `Claims about ${figure.name}`,
    ...(clocks.asOf ? { temporalCoverage: `../${clocks.asOf}` } : {}),
    ...(clocks.knownAt ? { dateModified: clocks.knownAt.toISOString() } : {}),
    itemListElement: claims.map((c, i) => ({
      '@type': 'ListItem',
      position: i + 1,
      item: {
        '@type': 'Claim',
        '@id': `urn:annals:claim:${figure.id}:${c.claimId}`,
        text: `${c.claimant}: ${valueInWords(c)} ${figure.unit}`,
        author: { '@type': 'Organization', name: c.claimant },
        ...assertedDate(c.assertedOn),
        about,
        ...(c.period ? { temporalCoverage: `${c.period.from}/${c.period.to ?? '..'}` } : {}),
        ...(figure.scope.places.length ? { spatialCoverage: figure.scope.places.map((name) => ({ '@type': 'Place', name })) } : {}),
        appearance: c.sources.map((source) => ({
          '@type': 'CreativeWork',
          ...(webLink(source.url) ? { url: source.url } : {}),
          name: source.title,
          publisher: { '@type': 'Organization', name: source.publisher },
          ...plainDate('datePublished', source.publishedOn),
          ...(webLink(source.archivedUrl) ? { archivedAt: source.archivedUrl } : {}),
          ...(source.quote ? { text: source.quote } : {}),
        })),
      },
    })),
  };
}

/**
 * When a claim was asserted, for schema.org: a plain date as it is; a date known only within a
 * window ('[2019-03-28..2019-03-31]') as the window's earliest day, with the window stated in
 * words (a window open at its start has no earliest day, so only the words).
 */
function assertedDate(assertedOn: string): Record<string, string> {
  const plain = plainDate('datePublished', assertedOn);
  if (Object.keys(plain).length > 0) return plain;
  let parsed: ReturnType<typeof parseDate>;
  try {
    parsed = parseDate(assertedOn, 'assertedOn');
  } catch {
    return {};
  }
  const earliest = parsed.earliest === FIRST_DAY ? undefined : parsed.earliest;
  const latest = parsed.latest === LAST_DAY ? undefined : parsed.latest;
  const window = earliest && latest ? `some time between ${earliest} and ${latest}` : earliest ? `some time after ${earliest}` : `some time up to ${latest}`;
  return { ...(earliest ? { datePublished: earliest } : {}), disambiguatingDescription: `Asserted ${window} (recorded as ${assertedOn}).` };
}

/** schema.org dates are ISO 8601: a date known only within a window ('[2019-03-28..2019-03-31]') has no place there and is left out. */
function plainDate(key: string, date: string | undefined): Record<string, string> {
  return date && /^\d{4}(-\d{2}(-\d{2})?)?$/.test(date) ? { [key]: date } : {};
}

const QUALIFIER_WORDS: Record<ClaimQualifier, string> = {
  at_least: 'at least',
  at_most: 'at most',
  about: 'about',
  almost: 'almost',
  more_than: 'more than',
  fewer_than: 'fewer than',
};

function valueInWords(claim: ClaimView): string {
  const n = (x: number) => x.toLocaleString('en-GB');
  const v = claim.value;
  if (v.kind === 'range') return `${n(v.min)} to ${n(v.max)}`;
  if (v.kind === 'bound') return `${QUALIFIER_WORDS[v.qualifier]} ${n(v.value)}`;
  return n(v.value);
}

/**
 * TimelineJS dates carry only the parts known: a year, a month, a day. A date known only within a
 * window ('[2017-06-30..2017-07-28]') is placed at its first possible day and shown as written.
 */
function tlDate(date: PartialDate) {
  const parsed = parseDate(date, 'validTime');
  if (parsed.precision === 'window') {
    const [year, month, day] = (parsed.earliest === FIRST_DAY ? parsed.latest : parsed.earliest).split('-').map(Number);
    return { year, month, day, display_date: escapeHtml(date) };
  }
  const [year, month, day] = date.split('-').map(Number);
  return { year, ...(parsed.precision !== 'year' ? { month } : {}), ...(parsed.precision === 'day' ? { day } : {}) };
}

/** source2_… columns for as many further sources as the longest list has (up to source9_). */
function extraSourceColumns(lists: readonly (readonly Source[])[]): string[] {
  const extra = Math.min(8, Math.max(1, ...lists.map((l) => l.length)) - 1);
  return Array.from({ length: extra }, (_, i) => sourceColumns(`source${i + 2}`)).flat();
}

function sourcesCells(sources: readonly Source[]): Record<string, string> {
  return Object.assign({}, ...sources.slice(0, 9).map((s, i) => sourceCells(i === 0 ? 'source' : `source${i + 1}`, s)));
}

function sourceCells(prefix: string, source: Source): Record<string, string> {
  return {
    [`${prefix}_publisher`]: source.publisher,
    [`${prefix}_title`]: source.title,
    [`${prefix}_url`]: source.url,
    [`${prefix}_published_on`]: source.publishedOn ?? '',
    [`${prefix}_accessed_on`]: source.accessedOn ?? '',
    [`${prefix}_archived_url`]: source.archivedUrl ?? '',
    [`${prefix}_quote`]: source.quote ?? '',
  };
}

function confidenceCells(confidence: Confidence | undefined): Record<string, string> {
  return {
    confidence_level: confidence?.level ?? '',
    confidence_source_grade: confidence?.sourceGrade ?? '',
    confidence_note: confidence?.note ?? '',
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
