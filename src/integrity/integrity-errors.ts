/** Writes are refused while the log does not match what the service last signed, until an admin acknowledges it. */
export class IntegrityUnverifiedError extends Error {
  readonly code = 'integrity.unverified';
  constructor(readonly reason: string) {
    super(`the record failed its integrity check and is not trusted until an admin acknowledges it: ${reason}`);
  }
}
