import { invalid } from './errors';
import { optionalText, requireRecord } from './text';

/**
 * How far a record can be trusted, on a small scale of our own (high / medium / low), with the
 * grade in the source's own scheme when it has one (Airwars grades each incident confirmed, fair,
 * weak, contested or discounted) and a note saying why. Free text for that grade on purpose:
 * schemes differ between monitors and we keep theirs as they wrote it.
 */
export const CONFIDENCE_LEVELS = ['high', 'medium', 'low'] as const;
export type ConfidenceLevel = (typeof CONFIDENCE_LEVELS)[number];

export type Confidence = {
  readonly level: ConfidenceLevel;
  readonly sourceGrade?: string;
  readonly note?: string;
};

export const CONFIDENCE_LIMITS = { sourceGrade: 50, note: 2000 } as const;

export function validateConfidence(value: unknown, field: string): Confidence {
  const raw = requireRecord(value, field);
  for (const key of Object.keys(raw)) {
    if (!['level', 'sourceGrade', 'note'].includes(key) && raw[key] !== undefined) {
      throw invalid(`${field}.${key} is not part of a confidence`, `${field}.${key}`);
    }
  }
  if (!CONFIDENCE_LEVELS.includes(raw.level as ConfidenceLevel)) {
    throw invalid(`${field}.level must be one of ${CONFIDENCE_LEVELS.join(', ')}`, `${field}.level`);
  }
  const sourceGrade = optionalText(raw.sourceGrade, `${field}.sourceGrade`, CONFIDENCE_LIMITS.sourceGrade);
  const note = optionalText(raw.note, `${field}.note`, CONFIDENCE_LIMITS.note);
  return {
    level: raw.level as ConfidenceLevel,
    ...(sourceGrade === undefined ? {} : { sourceGrade }),
    ...(note === undefined ? {} : { note }),
  };
}
