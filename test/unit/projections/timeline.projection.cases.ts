import type Database from 'better-sqlite3';
import { TimelineProjection } from '../../../src/projections/timeline/timeline.projection';
import { TimelineQueries } from '../../../src/projections/timeline/timeline.queries';
import { factData, factRecorded } from '../domain/factories';
import { on, projectionSpec, RECORD_STEP_MS, RECORDED_FROM, type ReadModelUnderTest } from '../../support/projection-spec';

/** The timeline read model (fact_versions and its labels), given fact events, through the real runner. */

interface VersionRow {
  version_id: number;
  fact_id: string;
  revision: number;
  position: number;
  event_type: string;
  actor: string | null;
  reason: string | null;
  recorded_from: number;
  recorded_to: number | null;
  status: string;
  kind: string;
  valid_start: string;
  start_latest: string;
  end_earliest: string;
  valid_end: string | null;
  sort_key: string;
  search_text: string;
  body: Record<string, unknown>;
}

const timeline: ReadModelUnderTest<{ fact_versions: VersionRow[]; fact_version_labels: { label: string; version_id: number }[] }, TimelineQueries> = {
  name: 'timeline',
  projections: (db: Database.Database) => [new TimelineProjection(db)],
  rows: (db) => ({
    fact_versions: (db.prepare('SELECT * FROM fact_versions ORDER BY version_id').all() as (VersionRow & { body: string })[]).map((row) => ({
      ...row,
      body: JSON.parse(row.body),
    })),
    fact_version_labels: db.prepare('SELECT label, version_id FROM fact_version_labels ORDER BY version_id, label').all() as { label: string; version_id: number }[],
  }),
  queries: (db) => new TimelineQueries(db),
};

const at = (nth: number): number => RECORDED_FROM + RECORD_STEP_MS * nth;
const recorded = factRecorded({ factId: 'formed', validTime: { at: '2014-09' } });
const corrected = { type: 'FactCorrected', data: { factId: 'formed', changes: { title: 'Coalition formed', tags: ['coalition'] } } };
const retracted = { type: 'FactRetracted', data: { factId: 'formed' } };

describe('the timeline projection', () => {
  it('a recorded fact opens its first version, current, with its days, sort key, search text and labels', () =>
    projectionSpec(timeline)
      .given(on('fact-formed', recorded))
      .then((log) => ({
        fact_versions: [
          {
            version_id: 1,
            fact_id: 'formed',
            revision: 0,
            position: Number(log[0].position),
            event_type: 'FactRecorded',
            actor: 'editor@annals.test',
            reason: null,
            recorded_from: at(0),
            recorded_to: null,
            status: 'recorded',
            kind: 'event',
            valid_start: '2014-09-01',
            start_latest: '2014-09-30',
            sort_key: expect.stringMatching(/\|formed$/),
            search_text: expect.stringContaining('us-led coalition against daesh formed'),
            body: factData({ factId: 'formed', validTime: { at: '2014-09' } }),
          },
        ],
        fact_version_labels: [
          { label: 'entity:global coalition against daesh', version_id: 1 },
          { label: 'tag:coalition', version_id: 1 },
          { label: 'tag:daesh', version_id: 1 },
        ],
      })));

  it('a period is a state, open-ended when it has no end', () =>
    projectionSpec(timeline)
      .given(on('fact-mckenzie', factRecorded({ factId: 'mckenzie', validTime: { from: '2019-03-28' } })))
      .then({ fact_versions: [{ kind: 'state', valid_start: '2019-03-28', valid_end: null }] }));

  it('a correction closes the fact’s version and opens the next, with the changes merged and the reason kept', () =>
    projectionSpec(timeline)
      .given(on('fact-formed', recorded), on('fact-formed', corrected, { actor: 'editor-b', reason: 'shorter title' }))
      .then({
        fact_versions: [
          { version_id: 1, revision: 0, recorded_from: at(0), recorded_to: at(1), status: 'recorded', body: { title: factData().title, tags: ['coalition', 'daesh'] } },
          {
            version_id: 2,
            revision: 1,
            event_type: 'FactCorrected',
            actor: 'editor-b',
            reason: 'shorter title',
            recorded_from: at(1),
            recorded_to: null,
            body: { ...factData({ factId: 'formed', validTime: { at: '2014-09' } }), title: 'Coalition formed', tags: ['coalition'] },
          },
        ],
        fact_version_labels: [
          { label: 'entity:global coalition against daesh', version_id: 1 },
          { label: 'tag:coalition', version_id: 1 },
          { label: 'tag:daesh', version_id: 1 },
          { label: 'entity:global coalition against daesh', version_id: 2 },
          { label: 'tag:coalition', version_id: 2 },
        ],
      }));

  it('a retraction closes the version and opens a retracted one holding the same fact', () =>
    projectionSpec(timeline)
      .given(on('fact-formed', recorded), on('fact-formed', retracted, { reason: 'recorded twice' }))
      .then({
        fact_versions: [
          { revision: 0, status: 'recorded', recorded_to: at(1) },
          { revision: 1, status: 'retracted', event_type: 'FactRetracted', reason: 'recorded twice', recorded_to: null, body: { title: factData().title } },
        ],
      }));

  it('a correction after a retraction changes no row: the domain’s evolve ignores it', () =>
    projectionSpec(timeline)
      .given(on('fact-formed', recorded), on('fact-formed', retracted), on('fact-formed', corrected))
      .then({ fact_versions: [{ revision: 0 }, { revision: 1, status: 'retracted', recorded_to: null }] }));

  it('a FactCorrected on a user stream changes no row', () =>
    projectionSpec(timeline)
      .given(on('fact-formed', recorded), on('notes-formed', corrected))
      .then({ fact_versions: [{ revision: 0, recorded_to: null, body: { title: factData().title } }] }));

  it('a FactRecorded on a figure stream, or an unknown type on a fact stream, changes no row', () =>
    projectionSpec(timeline)
      .given(on('figure-formed', recorded), on('fact-formed', { type: 'FactAnnotated', data: { factId: 'formed' } }))
      .then({ fact_versions: [], fact_version_labels: [] }));

  it('answers the history query with every version, oldest first, and when each was superseded', () =>
    projectionSpec(timeline)
      .given(on('fact-formed', recorded), on('fact-formed', corrected, { actor: 'editor-b', reason: 'shorter title' }))
      .thenAnswers(
        (queries) => queries.history('formed').map((v) => ({ title: v.title, revision: v.revision, lastChange: v.lastChange, supersededAt: v.supersededAt })),
        [
          { title: factData().title, revision: '0', lastChange: { type: 'FactRecorded', actor: 'editor@annals.test', reason: null }, supersededAt: new Date(at(1)).toISOString() },
          { title: 'Coalition formed', revision: '1', lastChange: { type: 'FactCorrected', actor: 'editor-b', reason: 'shorter title' }, supersededAt: null },
        ],
      ));

  it('answers the timeline as known before a correction with the old title, and after it with the new', () =>
    projectionSpec(timeline)
      .given(on('fact-formed', recorded), on('fact-formed', corrected, { reason: 'shorter title' }))
      .thenAnswers(
        (queries) => [queries.timeline({ limit: 10, knownAt: new Date(at(1) - 1) }), queries.timeline({ limit: 10 })].map((page) => page.items.map((f) => f.title)),
        [[factData().title], ['Coalition formed']],
      ));
});
