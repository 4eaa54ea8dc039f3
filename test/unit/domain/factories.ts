import type { FactEvent, FactRecorded } from '../../../src/domain/fact/fact.events';
import type { RecordFact } from '../../../src/domain/fact/fact';
import type { AssertClaim, DefineFigure } from '../../../src/domain/figure/figure';
import type { ClaimAsserted, FigureDefined, FigureEvent } from '../../../src/domain/figure/figure.events';
import type { Source } from '../../../src/domain/source';

/** Small builders on the first data set (the March 2019 report); each test overrides what it is about. */

export const source = (overrides: Partial<Source> = {}): Source => ({
  publisher: 'Example News',
  title: 'Coalition against Daesh: the toll',
  url: 'https://news.example.org/2019/03/coalition-toll',
  publishedOn: '2019-03-26',
  ...overrides,
});

export const factData = (overrides: Partial<FactRecorded> = {}): FactRecorded => ({
  factId: 'coalition-formed',
  title: 'US-led coalition against Daesh formed',
  summary: 'A coalition led by the United States is formed to fight Daesh in Iraq and Syria.',
  tags: ['coalition', 'daesh'],
  entities: [{ type: 'organisation', name: 'Global Coalition against Daesh' }],
  sources: [source()],
  validTime: { at: '2014' },
  ...overrides,
});

export const recordFact = (overrides: Partial<FactRecorded> = {}): RecordFact => ({
  type: 'RecordFact',
  ...factData(overrides),
});

export const factRecorded = (overrides: Partial<FactRecorded> = {}): FactEvent => ({
  type: 'FactRecorded',
  data: factData(overrides),
});

export const figureData = (overrides: Partial<FigureDefined> = {}): FigureDefined => ({
  figureId: 'civilians-killed-coalition',
  name: 'Civilians killed by coalition strikes in Iraq and Syria',
  unit: 'people',
  scope: { places: ['Iraq', 'Syria'], period: { from: '2014-08' } },
  ...overrides,
});

export const defineFigure = (overrides: Partial<FigureDefined> = {}): DefineFigure => ({
  type: 'DefineFigure',
  ...figureData(overrides),
});

export const figureDefined = (overrides: Partial<FigureDefined> = {}): FigureEvent => ({
  type: 'FigureDefined',
  data: figureData(overrides),
});

export const claimData = (overrides: Partial<ClaimAsserted> = {}): ClaimAsserted => ({
  figureId: 'civilians-killed-coalition',
  claimId: 'cjtf-oir-2019-02',
  claimant: 'CJTF-OIR',
  value: { kind: 'bound', value: 1257, qualifier: 'at_least' },
  assertedOn: '2019-02',
  period: { from: '2014-08', to: '2019-02' },
  sources: [source({ publisher: 'CJTF-OIR', title: 'Monthly civilian casualty report' })],
  ...overrides,
});

export const assertClaim = (overrides: Partial<ClaimAsserted> = {}): AssertClaim => ({
  type: 'AssertClaim',
  ...claimData(overrides),
});

export const claimAsserted = (overrides: Partial<ClaimAsserted> = {}): FigureEvent => ({
  type: 'ClaimAsserted',
  data: claimData(overrides),
});
