/** RFC 9457 problem details, the one error shape every endpoint answers with. */
export interface FieldError {
  readonly field: string;
  readonly reason: string;
}

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  /** Stable, machine-readable code (also the last segment of `type`). */
  readonly code: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problem(status: number, code: string, title: string, detail: string, extra: Record<string, unknown> = {}): ProblemDetails {
  return { type: `/problems/${code}`, title, status, detail, code, ...extra };
}

/** Thrown by the ValidationPipe's exception factory: bad request shape, each field with its reason. */
export class RequestValidationError extends Error {
  constructor(readonly errors: readonly FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.reason}`).join('; '));
  }
}

/** An error raised at the HTTP edge (body parsing, the HTTP parser) that already knows its answer. */
export class ProblemError extends Error {
  constructor(readonly details: ProblemDetails) {
    super(details.detail);
  }
}
