import { ValidateBy, type ValidationOptions } from 'class-validator';

/** Positions and revisions are SQLite integers (signed 64-bit): a larger one cannot be bound, and binding it was a 500. */
export const MAX_LOG_POSITION = 2n ** 63n - 1n;

export function isLogPosition(value: unknown): value is string {
  return typeof value === 'string' && /^\d{1,19}$/.test(value) && BigInt(value) <= MAX_LOG_POSITION;
}

/** A query's log position or revision, a whole number 0..2^63-1 written in decimal (it travels as a string: JSON has no 64-bit integers). */
export function IsLogPosition(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isLogPosition', validator: { validate: isLogPosition } }, options);
}
