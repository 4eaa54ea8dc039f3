import type { Entity } from '../../src/domain/fact/fact.events';
import type { ClaimValue } from '../../src/domain/figure/figure.events';
import type { Source } from '../../src/domain/source';
import type { Period, ValidTime } from '../../src/domain/valid-time';

/**
 * Request bodies for the HTTP API, on the first data set (the March 2019 report). Each test
 * overrides only what it is about. Ids are chosen by the client, so every test can use its own.
 */

let counter = 0;

/** A fresh id (a valid slug) per call, so tests sharing one app never collide. */
export const uniqueId = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${(++counter).toString(36)}`;

export const sourceBody = (overrides: Partial<Source> = {}): Source => ({
  publisher: 'Example News',
  title: 'Coalition against Daesh: the toll',
  url: 'https://news.example.org/2019/03/coalition-toll',
  publishedOn: '2019-03-26',
  ...overrides,
});

export interface FactBody {
  id?: string;
  title: string;
  summary: string;
  tags: string[];
  entities: Entity[];
  sources: Source[];
  validTime: ValidTime;
}

export const factBody = (overrides: Partial<FactBody> = {}): FactBody => ({
  id: uniqueId('fact'),
  title: 'US-led coalition against Daesh formed',
  summary: 'A coalition led by the United States is formed to fight Daesh in Iraq and Syria.',
  tags: ['coalition', 'daesh'],
  entities: [{ type: 'organisation', name: 'Global Coalition against Daesh' }],
  sources: [sourceBody()],
  validTime: { at: '2014' },
  ...overrides,
});

export interface FigureBody {
  id?: string;
  name: string;
  unit: string;
  description?: string;
  scope: { places: string[]; period?: Period };
}

export const figureBody = (overrides: Partial<FigureBody> = {}): FigureBody => ({
  id: uniqueId('figure'),
  name: 'Civilians killed by coalition strikes in Iraq and Syria',
  unit: 'people',
  scope: { places: ['Iraq', 'Syria'], period: { from: '2014-08' } },
  ...overrides,
});

export interface ClaimBody {
  id?: string;
  claimant: string;
  value: ClaimValue;
  assertedOn: string;
  period?: Period;
  /** One source, as clients sent it before `sources` (still taken); the evidence tests send `sources`. */
  source?: Source;
  sources?: Source[];
  confidence?: { level: string; sourceGrade?: string; note?: string };
  inferredFrom?: string[];
  rank?: { value: string; reason?: string };
}

export const claimBody = (overrides: Partial<ClaimBody> = {}): ClaimBody => ({
  id: uniqueId('claim'),
  claimant: 'CJTF-OIR',
  value: { kind: 'bound', value: 1257, qualifier: 'at_least' },
  assertedOn: '2019-02',
  period: { from: '2014-08', to: '2019-02' },
  source: sourceBody({ publisher: 'CJTF-OIR', title: 'Monthly civilian casualty report' }),
  ...overrides,
});

/** A correction or retraction body: the record changes, so it says why. */
export const correctionBody = <T extends object>(changes: T, reason = 'the first entry misread the source') => ({ reason, changes });
