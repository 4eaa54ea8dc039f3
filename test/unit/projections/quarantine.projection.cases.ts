import type Database from 'better-sqlite3';
import { FiguresProjection } from '../../../src/projections/figures/figures.projection';
import { eventIdKey } from '../../../src/projections/merkle/event-id-key';
import { MerkleProjection } from '../../../src/projections/merkle/merkle.projection';
import { readQuarantine } from '../../../src/projections/quarantine';
import { TimelineProjection } from '../../../src/projections/timeline/timeline.projection';
import { claimAsserted, claimData, factRecorded, figureDefined } from '../domain/factories';
import { on, projectionSpec, type ReadModelUnderTest } from '../../support/projection-spec';

/**
 * The quarantine: events a projection could not apply, kept with their position and why. It is
 * written by the runner, not by a projection, so the spec runs every projection the server runs
 * (read-models.ts) and shows that the rest of the record goes on past a poison event.
 */

type Rows = {
  quarantine: { position: number; projection: string; event_id: string; stream_id: string; event_type: string; reason: string }[];
  fact_versions: { fact_id: string }[];
  claim_versions: { claim_id: string }[];
  merkle_leaves: { event_id: Buffer | string }[];
};

const served: ReadModelUnderTest<Rows, Database.Database> = {
  name: 'quarantine',
  projections: (db) => [new TimelineProjection(db), new FiguresProjection(db), new MerkleProjection(db)],
  rows: (db) => ({
    quarantine: db.prepare('SELECT * FROM quarantine ORDER BY position, projection').all() as Rows['quarantine'],
    fact_versions: db.prepare('SELECT fact_id FROM fact_versions ORDER BY version_id').all() as Rows['fact_versions'],
    claim_versions: db.prepare('SELECT claim_id FROM claim_versions ORDER BY version_id').all() as Rows['claim_versions'],
    merkle_leaves: db.prepare('SELECT event_id FROM merkle_leaves ORDER BY leaf_index').all() as Rows['merkle_leaves'],
  }),
  queries: (db) => db,
};

/** A FactRecorded with nothing but its id: the shape the timeline needs is not there. */
const poisonFact = { type: 'FactRecorded', data: { factId: 'poison' } };
const { assertedOn: _dropped, ...claimWithoutDate } = claimData({ figureId: 'deaths', claimId: 'undated' });
const poisonClaim = { type: 'ClaimAsserted', data: claimWithoutDate };

describe('the quarantine', () => {
  it('an event the projection cannot apply is quarantined with its position, and the events after it are applied', () =>
    projectionSpec(served)
      .given(on('fact-poison', poisonFact), on('fact-good', factRecorded({ factId: 'good' })))
      .then((log) => ({
        quarantine: [
          { position: Number(log[0].position), projection: 'timeline', event_id: log[0].id, stream_id: 'fact-poison', event_type: 'FactRecorded', reason: expect.stringMatching(/^TypeError: /) },
        ],
        fact_versions: [{ fact_id: 'good' }],
        // The Merkle log holds every stored event, a poison one too: it hashes what the store holds.
        merkle_leaves: [{ event_id: eventIdKey(log[0].id) }, { event_id: eventIdKey(log[1].id) }],
      })));

  it('a claim the figures projection cannot apply is quarantined for figures alone', () =>
    projectionSpec(served)
      .given(on('figure-deaths', figureDefined({ figureId: 'deaths' })), on('figure-deaths', poisonClaim), on('figure-deaths', claimAsserted({ figureId: 'deaths', claimId: 'dated' })))
      .then((log) => ({
        quarantine: [{ position: Number(log[1].position), projection: 'figures', event_type: 'ClaimAsserted', reason: expect.stringContaining('assertedOn') }],
        claim_versions: [{ claim_id: 'dated' }],
      })));

  it('a poison-shaped event on a user stream is no domain event: nothing to quarantine', () =>
    projectionSpec(served)
      .given(on('notes-poison', poisonFact), on('notes-poison', poisonClaim))
      .then({ quarantine: [], fact_versions: [], claim_versions: [] }));

  it('answers the health report with how many were quarantined and the first of them', () =>
    projectionSpec(served)
      .given(on('fact-poison', poisonFact), on('fact-other', { type: 'FactRecorded', data: { factId: 'other' } }))
      .thenAnswers(
        (db) => readQuarantine(db),
        (log) => ({
          count: 2,
          events: log.map((event) => ({
            position: event.position.toString(),
            projection: 'timeline',
            eventId: event.id,
            streamId: event.streamId,
            type: 'FactRecorded',
            reason: expect.any(String),
          })),
        }),
      ));
});
