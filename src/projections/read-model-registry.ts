import type Database from 'better-sqlite3';
import type { Projection } from './projection';
import type { ReadModel } from './read-model';
import { FIGURES_READ_MODEL } from './figures/figures.read-model';
import { MERKLE_READ_MODEL } from './merkle/merkle.read-model';
import { SUBJECT_REFS_READ_MODEL } from './subjects/subject-refs.read-model';
import { TIMELINE_READ_MODEL } from './timeline/timeline.read-model';

/** Every read model the service keeps, in the order the runner applies each event to them. */
export const READ_MODELS: readonly ReadModel[] = [TIMELINE_READ_MODEL, FIGURES_READ_MODEL, MERKLE_READ_MODEL, SUBJECT_REFS_READ_MODEL];

/** One projection per read model, writing into `db`. */
export function projectionsOn(db: Database.Database, models: readonly ReadModel[] = READ_MODELS): Projection[] {
  return models.map((model) => model.projection(db));
}

/** True when every read model's queries run on `db` (read models of another schema this build can still serve). */
export function answersEveryQuery(db: Database.Database, models: readonly ReadModel[] = READ_MODELS): boolean {
  try {
    for (const model of models) model.probe(db);
    return true;
  } catch {
    return false;
  }
}
