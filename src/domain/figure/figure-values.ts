import type { CorrectionRules } from '../correction';
import { invalid } from '../errors';
import { validateSource } from '../source';
import { dedupe, optionalText, requireCount, requireList, requireRecord, requireText } from '../text';
import { parsePartialDate, validatePeriod } from '../valid-time';
import { CLAIM_QUALIFIERS, type ClaimChanges, type ClaimQualifier, type ClaimValue, type FigureScope } from './figure.events';

/** The rules for each value a figure or a claim is made of: one place, used to define, assert and correct. */
export const FIGURE_LIMITS = {
  name: 300,
  unit: 50,
  description: 5000,
  place: 200,
  places: 50,
  claimant: 200,
} as const;

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

export function validateClaimValue(value: unknown, field: string): ClaimValue {
  const raw = requireRecord(value, field);
  switch (raw.kind) {
    case 'exact':
      return { kind: 'exact', value: amount(raw.value, `${field}.value`) };
    case 'range': {
      const min = amount(raw.min, `${field}.min`);
      const max = amount(raw.max, `${field}.max`);
      if (min > max) throw invalid('min must not exceed max', `${field}.min`);
      return { kind: 'range', min, max };
    }
    case 'bound': {
      const number = amount(raw.value, `${field}.value`);
      if (!CLAIM_QUALIFIERS.includes(raw.qualifier as ClaimQualifier)) {
        throw invalid(`${field}.qualifier must be one of ${CLAIM_QUALIFIERS.join(', ')}`, `${field}.qualifier`);
      }
      return { kind: 'bound', value: number, qualifier: raw.qualifier as ClaimQualifier };
    }
    default:
      throw invalid(`${field}.kind must be exact, range or bound`, `${field}.kind`);
  }
}

/** Counts of people, strikes, money: finite and never negative (JSON has no NaN or Infinity anyway). */
function amount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${field} must be a finite number`, field);
  if (value < 0) throw invalid(`${field} must not be negative`, field);
  return value === 0 ? 0 : value; // -0 would come back from JSON as 0
}

export const claimRules: CorrectionRules<ClaimChanges> = {
  claimant: (value, field) => requireText(value, field, FIGURE_LIMITS.claimant),
  value: validateClaimValue,
  assertedOn: (value, field) => parsePartialDate(value, field).value,
  period: validatePeriod,
  source: validateSource,
};
