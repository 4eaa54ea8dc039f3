import { invalid } from './errors';
import { sameJson } from './same-json';
import { requireRecord } from './text';

/** A rule for one correctable value: checks it and returns its normalised form. */
export type ValueRule<T> = (value: unknown, field: string) => T;

export type CorrectionRules<T> = { readonly [K in keyof T]-?: ValueRule<Exclude<T[K], undefined>> };

/**
 * Turns a client's `changes` into the changes a correction event stores: each value checked by the
 * same rule as when it was first recorded, and only the values that really differ from `current`
 * kept. A client may send back a whole form; what it left as it was is not a change, and a
 * correction that changes nothing is refused rather than stored as noise in the history.
 */
export function correctionOf<T extends object>(changes: unknown, current: T, rules: CorrectionRules<T>): Partial<T> {
  const given = requireRecord(changes, 'changes');
  const result: Partial<T> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(rules, key)) throw invalid(`changes.${key} cannot be corrected`, `changes.${key}`);
    const name = key as keyof T;
    const rule = rules[name] as ValueRule<T[keyof T]>;
    const normalised = rule(value, `changes.${key}`);
    if (!sameJson(normalised, current[name])) result[name] = normalised;
  }
  if (Object.keys(result).length === 0) throw invalid('the correction changes nothing', 'changes');
  return result;
}
