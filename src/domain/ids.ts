import { invalid } from './errors';

/**
 * Ids of facts, figures and claims are chosen by the client (slugs such as
 * 'centcom-votel-tenure'), so they read well in stream names and URLs. The edge checks them too;
 * decide checks again because a stream name is built from them.
 */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,79}$/;

export function validateId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    throw invalid(`${field} must be 1-80 lower-case letters, digits or dashes, starting with a letter or digit`, field);
  }
  return value;
}
