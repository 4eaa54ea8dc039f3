import type Database from 'better-sqlite3';
import { FiguresProjection } from '../../../src/projections/figures/figures.projection';
import { FigureQueries } from '../../../src/projections/figures/figures.queries';
import { claimAsserted, claimData, figureData, figureDefined, source } from '../domain/factories';
import { on, projectionSpec, RECORD_STEP_MS, RECORDED_FROM, type ReadModelUnderTest } from '../../support/projection-spec';

/** The figures read model (figures, claim_versions, figure_claimants), given figure events, through the real runner. */

interface ClaimRow {
  version_id: number;
  figure_id: string;
  claim_id: string;
  claimant: string;
  asserted_earliest: string;
  asserted_latest: string;
  asserted_position: number;
  rank: number;
  status: string;
  revision: number;
  position: number;
  event_type: string;
  actor: string | null;
  reason: string | null;
  recorded_from: number;
  recorded_to: number | null;
  body: Record<string, unknown>;
}

interface FigureRow {
  figure_id: string;
  position: number;
  recorded_at: number;
  actor: string | null;
  body: Record<string, unknown>;
}

type Rows = { figures: FigureRow[]; claim_versions: ClaimRow[]; figure_claimants: { figure_id: string; claimant: string }[] };

/** Rows with their JSON body parsed, so a spec compares values rather than text. */
const parsed = <Row>(rows: unknown[]): Row[] => (rows as { body: string }[]).map((row) => ({ ...row, body: JSON.parse(row.body) }) as Row);

const figures: ReadModelUnderTest<Rows, FigureQueries> = {
  name: 'figures',
  projections: (db: Database.Database) => [new FiguresProjection(db)],
  rows: (db) => ({
    figures: parsed<FigureRow>(db.prepare('SELECT * FROM figures ORDER BY figure_id').all()),
    claim_versions: parsed<ClaimRow>(db.prepare('SELECT * FROM claim_versions ORDER BY version_id').all()),
    figure_claimants: db.prepare('SELECT * FROM figure_claimants ORDER BY figure_id, claimant').all() as Rows['figure_claimants'],
  }),
  queries: (db) => new FigureQueries(db),
};

const at = (nth: number): number => RECORDED_FROM + RECORD_STEP_MS * nth;
const FIGURE = 'figure-deaths';
const defined = figureDefined({ figureId: 'deaths' });
const asserted = claimAsserted({ figureId: 'deaths', claimId: 'cjtf', assertedOn: '2019-02' });
const corrected = { type: 'ClaimCorrected', data: { figureId: 'deaths', claimId: 'cjtf', changes: { value: { kind: 'bound', value: 1300, qualifier: 'at_least' } } } };
const retracted = { type: 'ClaimRetracted', data: { figureId: 'deaths', claimId: 'cjtf' } };
const ranked = { type: 'ClaimRanked', data: { figureId: 'deaths', claimId: 'cjtf', rank: { value: 'preferred' } } };

describe('the figures projection', () => {
  it('a defined figure is one row with its definition, position and actor', () =>
    projectionSpec(figures)
      .given(on(FIGURE, defined))
      .then((log) => ({
        figures: [{ figure_id: 'deaths', position: Number(log[0].position), recorded_at: at(0), actor: 'editor@annals.test', body: figureData({ figureId: 'deaths' }) }],
        claim_versions: [],
      })));

  it('an asserted claim opens its first version with its days, rank normal, and files its claimant', () =>
    projectionSpec(figures)
      .given(on(FIGURE, defined), on(FIGURE, asserted))
      .then((log) => ({
        claim_versions: [
          {
            figure_id: 'deaths',
            claim_id: 'cjtf',
            claimant: 'CJTF-OIR',
            asserted_earliest: '2019-02-01',
            asserted_latest: '2019-02-28',
            asserted_position: Number(log[1].position),
            rank: 1,
            status: 'asserted',
            revision: 1,
            position: Number(log[1].position),
            event_type: 'ClaimAsserted',
            recorded_from: at(1),
            recorded_to: null,
            body: claimData({ figureId: 'deaths', claimId: 'cjtf', assertedOn: '2019-02' }),
          },
        ],
        figure_claimants: [{ figure_id: 'deaths', claimant: 'CJTF-OIR' }],
      })));

  it('a correction closes the claim’s version and opens the next, keeping where it was first asserted', () =>
    projectionSpec(figures)
      .given(on(FIGURE, defined), on(FIGURE, asserted), on(FIGURE, corrected, { reason: 'misread the report' }))
      .then((log) => ({
        claim_versions: [
          { version_id: 1, recorded_to: at(2), body: { value: { kind: 'bound', value: 1257, qualifier: 'at_least' } } },
          {
            version_id: 2,
            event_type: 'ClaimCorrected',
            reason: 'misread the report',
            asserted_position: Number(log[1].position),
            position: Number(log[2].position),
            recorded_from: at(2),
            recorded_to: null,
            body: { value: { kind: 'bound', value: 1300, qualifier: 'at_least' } },
          },
        ],
      })));

  it('a retraction opens a retracted version, and a correction after it changes no row', () =>
    projectionSpec(figures)
      .given(on(FIGURE, defined), on(FIGURE, asserted), on(FIGURE, retracted, { reason: 'withdrawn' }), on(FIGURE, corrected))
      .then({ claim_versions: [{ status: 'asserted', recorded_to: at(2) }, { status: 'retracted', event_type: 'ClaimRetracted', recorded_to: null }] }));

  it('a rank is a new version with the rank as SQL orders it', () =>
    projectionSpec(figures)
      .given(on(FIGURE, defined), on(FIGURE, asserted), on(FIGURE, ranked))
      .then({ claim_versions: [{ rank: 1 }, { rank: 2, event_type: 'ClaimRanked', body: { rank: { value: 'preferred' } } }] }));

  const { sources, ...legacy } = claimData({ figureId: 'deaths', claimId: 'cjtf' });
  const legacyAsserted = { type: 'ClaimAsserted', data: { ...legacy, source: sources[0] } };

  it('a claim stored with one `source` (before the evidence model) is read through the upcaster as `sources`', () =>
    projectionSpec(figures)
      .given(on(FIGURE, defined), on(FIGURE, legacyAsserted))
      .then({ claim_versions: [{ body: { sources: [source({ publisher: 'CJTF-OIR', title: 'Monthly civilian casualty report' })] } }] }));

  it('a claim stored with one `source` keeps no `source` key in its row', () =>
    projectionSpec(figures)
      .given(on(FIGURE, defined), on(FIGURE, legacyAsserted))
      .then({ claim_versions: [{ body: expect.not.objectContaining({ source: expect.anything() }) }] }));

  it('a ClaimAsserted on a user stream or on a fact stream changes no row', () =>
    projectionSpec(figures)
      .given(on(FIGURE, defined), on('notes-deaths', asserted), on('fact-deaths', asserted))
      .then({ figures: [{ figure_id: 'deaths' }], claim_versions: [], figure_claimants: [] }));

  it('answers the figure query with each claimant’s latest claim and the spread between them', () =>
    projectionSpec(figures)
      .given(
        on(FIGURE, defined),
        on(FIGURE, asserted),
        on(FIGURE, claimAsserted({ figureId: 'deaths', claimId: 'airwars', claimant: 'Airwars', value: { kind: 'bound', value: 7600, qualifier: 'about' }, assertedOn: '2019-03' })),
      )
      .thenAnswers(
        (queries) => {
          const figure = queries.figure('deaths', { asOf: '2019-04-01' });
          return { claims: figure?.claims.map((c) => [c.claimant, c.low]), spread: figure?.spread };
        },
        { claims: [['CJTF-OIR', 1257], ['Airwars', 7600]], spread: { low: 1257, high: 7600, ratio: 6.05 } },
      ));
});
