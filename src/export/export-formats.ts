import type { ClaimView, FigureSummary } from '../projections/figures/figures.queries';
import type { FactView } from '../projections/timeline/timeline.queries';
import { claimsCsv, claimsJsonLd, scriptSafeJson, timelineCsv, timelineJs, type ViewClocks } from './views';

/**
 * The export formats, each declared once: its name (`?format=` and `--format`), its media type
 * (`Accept`, the answer's content type and the OpenAPI document) and how it renders the view.
 * The HTTP export, the CLI's `annals export` and the OpenAPI answers all iterate these lists, so
 * a new format is one entry here.
 */
export interface ExportFormat<Input> {
  readonly name: string;
  readonly mediaType: string;
  /** What the answer is, for the OpenAPI document. */
  readonly description: string;
  /** A sheet is saved, not shown: the file name the answer suggests (content-disposition). */
  readonly attachment?: (input: Input) => string;
  /** Text as it is written, or a value written as script-safe JSON. */
  readonly render: (input: Input) => { readonly text: string } | { readonly json: unknown };
}

export interface ClaimsExport {
  readonly figureId: string;
  readonly figure: FigureSummary;
  readonly claims: readonly ClaimView[];
  readonly clocks: ViewClocks;
}

export interface TimelineExport {
  readonly facts: readonly FactView[];
  readonly clocks: ViewClocks;
}

/** A figure's claims: the first is the default. */
export const CLAIMS_FORMATS = [
  {
    name: 'csv',
    mediaType: 'text/csv',
    description: "the figure's claims in the import layout, one a row",
    attachment: (input) => `${input.figureId}-claims.csv`,
    render: (input) => ({ text: claimsCsv(input.claims) }),
  },
  {
    name: 'jsonld',
    mediaType: 'application/ld+json',
    description: 'the claims as schema.org Claim JSON-LD',
    render: (input) => ({ json: claimsJsonLd(input.figure, input.claims, input.clocks) }),
  },
] as const satisfies readonly ExportFormat<ClaimsExport>[];

/** The timeline: the first is the default. */
export const TIMELINE_FORMATS = [
  {
    name: 'csv',
    mediaType: 'text/csv',
    description: 'the facts in the import layout, one a row',
    attachment: () => 'timeline.csv',
    render: (input) => ({ text: timelineCsv(input.facts) }),
  },
  {
    name: 'timelinejs',
    mediaType: 'application/json',
    description: 'the facts as TimelineJS3 JSON',
    render: (input) => ({ json: timelineJs(input.facts, input.clocks) }),
  },
] as const satisfies readonly ExportFormat<TimelineExport>[];

export type ClaimsFormat = (typeof CLAIMS_FORMATS)[number]['name'];
export type TimelineFormat = (typeof TIMELINE_FORMATS)[number]['name'];

export const formatNames = (formats: readonly { readonly name: string }[]): string[] => formats.map((f) => f.name);

/** The format named `name` (already validated against the list), else the list's first. */
export function formatNamed<Input>(formats: readonly ExportFormat<Input>[], name: string | undefined): ExportFormat<Input> {
  return formats.find((f) => f.name === name) ?? formats[0];
}

/** The format's text; `indent` pretty-prints JSON (the CLI writes it for people, with a final newline). */
export function renderExport<Input>(format: ExportFormat<Input>, input: Input, indent?: number): string {
  const rendered = format.render(input);
  if ('text' in rendered) return rendered.text;
  return indent === undefined ? scriptSafeJson(rendered.json) : `${scriptSafeJson(rendered.json, indent)}\n`;
}

/** The OpenAPI answer of an export: each format's media type with what it holds. */
export function exportContents(formats: readonly ExportFormat<never>[]): Record<string, { type: string; description: string }> {
  return Object.fromEntries(formats.map((f) => [f.mediaType, { type: f.mediaType.startsWith('text/') ? 'string' : 'object', description: f.description }]));
}
