import type Database from 'better-sqlite3';
import { SubjectRefsProjection, streamsNaming } from '../../../src/projections/subjects/subject-refs.read-model';
import { claimAsserted, factRecorded, figureDefined } from '../domain/factories';
import { on, projectionSpec, type ReadModelUnderTest } from '../../support/projection-spec';

/**
 * The subject-refs read model: which streams hold values sealed for which subject, so that an erasure
 * purges the rows built from those streams alone (docs/erasure.md). It reads events as stored, where a
 * sealed value is a token naming its subject; it records subject ids and stream names, never a value.
 */

type Rows = { subject_streams: { subject: string; stream_id: string }[] };

const subjectRefs: ReadModelUnderTest<Rows, Database.Database> = {
  name: 'subject-refs',
  projections: (db) => [new SubjectRefsProjection(db)],
  rows: (db) => ({ subject_streams: db.prepare('SELECT subject, stream_id FROM subject_streams ORDER BY subject, stream_id').all() as Rows['subject_streams'] }),
  queries: (db) => db,
};

/** A whole-value token for `subject` (the payload is opaque here: the read model never opens it). */
const sealed = (subject: string) => `annals:sealed:v1:${subject}:cGF5bG9hZA`;

describe('the subject-refs read model', () => {
  const spec = projectionSpec(subjectRefs);

  it('records each stream a subject is sealed in once, wherever the token stands: a whole value, a passage, a list, the metadata', () =>
    spec
      .given(
        on('fact-baghouz', factRecorded({ factId: 'baghouz', summary: sealed('subject-a') })),
        // The same subject again in the same stream (a correction naming them again): still one row.
        on('fact-baghouz', { type: 'FactCorrected', data: { factId: 'baghouz', summary: `Reported by ${sealed('subject-a')}; confirmed by ${sealed('subject-b')};` } }),
        on('fact-votel', factRecorded({ factId: 'votel', entities: [{ type: 'person', name: sealed('subject-a') }] })),
        on('figure-deaths', figureDefined({ figureId: 'deaths' })),
        on('figure-deaths', claimAsserted({ figureId: 'deaths', claimId: 'c1' }), { onBehalfOf: sealed('subject-c') }),
      )
      .then({
        subject_streams: [
          { subject: 'subject-a', stream_id: 'fact-baghouz' },
          { subject: 'subject-a', stream_id: 'fact-votel' },
          { subject: 'subject-b', stream_id: 'fact-baghouz' },
          { subject: 'subject-c', stream_id: 'figure-deaths' },
        ],
      }));

  it('records nothing for events that hold no sealed value', () =>
    spec
      .given(on('fact-formed', factRecorded()), on('figure-deaths', figureDefined({ figureId: 'deaths' })), on('figure-deaths', claimAsserted({ figureId: 'deaths' })))
      .then({ subject_streams: [] }));

  it('answers the streams naming a subject, and none for a subject never sealed', async () => {
    const given = spec.given(
      on('fact-baghouz', factRecorded({ factId: 'baghouz', summary: sealed('subject-a') })),
      on('fact-votel', factRecorded({ factId: 'votel', title: sealed('subject-a') })),
      on('fact-other', factRecorded({ factId: 'other', title: sealed('subject-b') })),
    );
    await given.thenAnswers((db) => streamsNaming(db, 'subject-a').sort(), ['fact-baghouz', 'fact-votel']);
    await given.thenAnswers((db) => streamsNaming(db, 'subject-z'), []);
  });
});
