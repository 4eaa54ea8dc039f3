/**
 * The one error the domain throws. `code` is stable and maps to HTTP once, in the api layer:
 * invalid → 400 (a value breaks a rule of shape), not-found → 404, conflict → 409 (a rule of state).
 * `field` is the path of the offending value in the command ('sources[1].url'), for the client.
 */
export type DomainErrorCode = 'invalid' | 'not-found' | 'conflict';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (message: string, field: string): DomainError => new DomainError('invalid', message, field);
export const notFound = (message: string, field: string): DomainError => new DomainError('not-found', message, field);
export const conflict = (message: string, field: string): DomainError => new DomainError('conflict', message, field);
