/**
 * Refusals of the access rules, each with a stable code. src/api/problem.filter.ts maps them to
 * problem+json; a 401 also gets `WWW-Authenticate: Bearer realm="annals"`.
 */
export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly code: 'auth.missing-key' | 'auth.invalid-key' | 'auth.malformed-authorization' | 'auth.forbidden' | 'auth.csrf-header-missing',
    message: string,
  ) {
    super(message);
  }
}

export const WWW_AUTHENTICATE = 'Bearer realm="annals"';
