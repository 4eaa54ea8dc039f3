import { validateConfidence } from '../confidence';
import type { CorrectionRules } from '../correction';
import { invalid } from '../errors';
import { validateId } from '../ids';
import { validateSource } from '../source';
import { dedupe, optionalText, requireCount, requireList, requireRecord, requireText } from '../text';
import { parseDate, validatePeriod } from '../valid-time';
import { ENTITY_TYPES, type EntityType } from '../fact/fact.events';
import {
  CLAIM_QUALIFIERS,
  CLAIM_RANKS,
  type ClaimChanges,
  type ClaimQualifier,
  type ClaimRank,
  type ClaimRankValue,
  type ClaimValue,
  type FigureScope,
} from './figure.events';

/** The rules for each value a figure or a claim is made of: one place, used to define, assert and correct. */
export const FIGURE_LIMITS = {
  name: 300,
  unit: 50,
  description: 5000,
  place: 200,
  places: 50,
  claimant: 200,
  sources: 20,
  inferredFrom: 20,
  rankReason: 2000,
} as const;

/**
 * The largest number a claim may carry. Ten to the twelfth is beyond any count of people, strikes
 * or dollars of one conflict; a bigger number is a typing slip (an extra digit group), not a claim.
 */
export const MAX_AMOUNT = 1e12;

/**
 * Units that count whole things: a figure in one of them takes whole numbers only, so '1257.5
 * civilians' is refused as a slip. Matched case-insensitively; any other unit (dollars, tonnes,
 * percent) takes fractions.
 */
export const COUNT_UNITS = [
  'people', 'persons', 'civilians', 'deaths', 'dead', 'killed', 'injured', 'wounded', 'casualties', 'victims',
  'children', 'fighters', 'soldiers', 'combatants', 'refugees', 'detainees', 'strikes', 'air strikes', 'airstrikes',
  'attacks', 'incidents', 'events', 'sorties', 'munitions', 'bombs',
] as const;

export function isCountUnit(unit: string): boolean {
  return (COUNT_UNITS as readonly string[]).includes(unit.trim().toLowerCase());
}

/** Places trimmed and deduplicated (case kept: place names are proper nouns); none means no limit. */
export function validateScope(value: unknown, field: string): FigureScope {
  const raw = requireRecord(value, field);
  const places = requireList(raw.places ?? [], `${field}.places`, (place, at) => requireText(place, at, FIGURE_LIMITS.place));
  const scope = { places: requireCount(dedupe(places, (p) => p), `${field}.places`, 0, FIGURE_LIMITS.places) };
  return raw.period === undefined ? scope : { ...scope, period: validatePeriod(raw.period, `${field}.period`) };
}

export function validateDescription(value: unknown, field: string): string | undefined {
  return optionalText(value, field, FIGURE_LIMITS.description);
}

const VALUE_KEYS = { exact: ['kind', 'value'], range: ['kind', 'min', 'max', 'qualifier'], bound: ['kind', 'value', 'qualifier'] } as const;

/**
 * A value as the source worded it. A key that the kind does not store ('min' on an exact value) is
 * refused rather than dropped, so what a client sent is what it reads back.
 */
export function validateClaimValue(value: unknown, field: string): ClaimValue {
  const raw = requireRecord(value, field);
  const kind = raw.kind as keyof typeof VALUE_KEYS;
  if (!Object.hasOwn(VALUE_KEYS, kind)) throw invalid(`${field}.kind must be exact, range or bound`, `${field}.kind`);
  for (const key of Object.keys(raw)) {
    if (!(VALUE_KEYS[kind] as readonly string[]).includes(key) && raw[key] !== undefined) {
      throw invalid(`${field}.${key} is not part of a${kind === 'exact' ? 'n' : ''} ${kind} value (it takes ${VALUE_KEYS[kind].slice(1).join(', ')})`, `${field}.${key}`);
    }
  }
  switch (kind) {
    case 'exact':
      return { kind: 'exact', value: amount(raw.value, `${field}.value`) };
    case 'range': {
      const min = amount(raw.min, `${field}.min`);
      const max = amount(raw.max, `${field}.max`);
      if (min > max) throw invalid('min must not exceed max', `${field}.min`);
      return raw.qualifier === undefined ? { kind: 'range', min, max } : { kind: 'range', min, max, qualifier: qualifier(raw.qualifier, field) };
    }
    case 'bound':
      return { kind: 'bound', value: amount(raw.value, `${field}.value`), qualifier: qualifier(raw.qualifier, field) };
  }
}

function qualifier(value: unknown, field: string): ClaimQualifier {
  if (!CLAIM_QUALIFIERS.includes(value as ClaimQualifier)) {
    throw invalid(`${field}.qualifier must be one of ${CLAIM_QUALIFIERS.join(', ')}`, `${field}.qualifier`);
  }
  return value as ClaimQualifier;
}

/** Counts of people, strikes, money: finite, never negative, at most MAX_AMOUNT. */
function amount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${field} must be a finite number`, field);
  if (value < 0) throw invalid(`${field} must not be negative`, field);
  if (value > MAX_AMOUNT) throw invalid(`${field} must be at most ${MAX_AMOUNT} (1e12): a larger number is a slip, not a claim`, field);
  return value === 0 ? 0 : value; // -0 would come back from JSON as 0
}

/** A figure counted in whole things (isCountUnit) takes no fractions. */
export function requireWholeIfCount(value: ClaimValue, unit: string, field: string): void {
  const numbers: [string, number][] = value.kind === 'range' ? [['min', value.min], ['max', value.max]] : [['value', value.value]];
  for (const [key, number] of numbers) {
    if (isCountUnit(unit) && !Number.isInteger(number)) {
      throw invalid(`${field}.${key} must be a whole number: the figure counts ${unit.trim()}`, `${field}.${key}`);
    }
  }
}

export function validateRank(value: unknown, field: string): ClaimRank {
  const raw = requireRecord(value, field);
  for (const key of Object.keys(raw)) {
    if (key !== 'value' && key !== 'reason' && raw[key] !== undefined) throw invalid(`${field}.${key} is not part of a rank`, `${field}.${key}`);
  }
  if (!CLAIM_RANKS.includes(raw.value as ClaimRankValue)) throw invalid(`${field}.value must be one of ${CLAIM_RANKS.join(', ')}`, `${field}.value`);
  const reason = optionalText(raw.reason, `${field}.reason`, FIGURE_LIMITS.rankReason);
  if (raw.value === 'deprecated' && reason === undefined) throw invalid(`${field}.reason is required to deprecate a claim`, `${field}.reason`);
  return reason === undefined ? { value: raw.value as ClaimRankValue } : { value: raw.value as ClaimRankValue, reason };
}

/** Ids of the claims a number was derived from; that they exist in the figure is checked in decide. */
export function validateInferredFrom(value: unknown, field: string): string[] {
  const ids = dedupe(requireList(value, field, validateId), (id) => id);
  return requireCount(ids, field, 1, FIGURE_LIMITS.inferredFrom);
}

/** person, organisation or place, as an entity's type. */
export function validateClaimantType(value: unknown, field: string): EntityType {
  if (!ENTITY_TYPES.includes(value as EntityType)) throw invalid(`${field} must be one of ${ENTITY_TYPES.join(', ')}`, field);
  return value as EntityType;
}

export const claimRules: CorrectionRules<ClaimChanges> = {
  claimant: (value, field) => requireText(value, field, FIGURE_LIMITS.claimant),
  claimantType: validateClaimantType,
  value: validateClaimValue,
  assertedOn: (value, field) => parseDate(value, field).value,
  period: validatePeriod,
  sources: (value, field) => requireCount(requireList(value, field, validateSource), field, 1, FIGURE_LIMITS.sources),
  confidence: validateConfidence,
  inferredFrom: validateInferredFrom,
};
