import { validateConfidence } from '../confidence';
import type { CorrectionRules } from '../correction';
import { invalid } from '../errors';
import { validateSource } from '../source';
import { dedupe, requireCount, requireList, requireRecord, requireText } from '../text';
import { validateValidTime } from '../valid-time';
import { ENTITY_TYPES, type Entity, type EntityType, type FactChanges } from './fact.events';

/** The rules for each value a fact is made of: one place, used to record and to correct. */
export const FACT_LIMITS = {
  title: 300,
  summary: 5000,
  tag: 50,
  tags: 30,
  entityName: 200,
  entities: 50,
  sources: 20,
} as const;

/** Trimmed, lower-cased and deduplicated, so 'Raqqa' and ' raqqa' are one tag. */
export function normaliseTags(value: unknown, field: string): string[] {
  const tags = requireList(value, field, (tag, at) => requireText(tag, at, FACT_LIMITS.tag).toLowerCase());
  return requireCount(dedupe(tags, (tag) => tag), field, 0, FACT_LIMITS.tags);
}

export function normaliseEntities(value: unknown, field: string): Entity[] {
  const entities = requireList(value, field, validateEntity);
  return requireCount(dedupe(entities, (e) => `${e.type}:${e.name}`), field, 0, FACT_LIMITS.entities);
}

function validateEntity(value: unknown, field: string): Entity {
  const raw = requireRecord(value, field);
  if (!ENTITY_TYPES.includes(raw.type as EntityType)) {
    throw invalid(`${field}.type must be one of ${ENTITY_TYPES.join(', ')}`, `${field}.type`);
  }
  return { type: raw.type as EntityType, name: requireText(raw.name, `${field}.name`, FACT_LIMITS.entityName) };
}

export const factRules: CorrectionRules<FactChanges> = {
  title: (value, field) => requireText(value, field, FACT_LIMITS.title),
  summary: (value, field) => requireText(value, field, FACT_LIMITS.summary, 0),
  tags: normaliseTags,
  entities: normaliseEntities,
  sources: (value, field) =>
    requireCount(requireList(value, field, validateSource), field, 1, FACT_LIMITS.sources),
  validTime: validateValidTime,
  confidence: validateConfidence,
};
