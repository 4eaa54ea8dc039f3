import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, WWW_AUTHENTICATE } from '../auth/auth-error';
import { DomainError } from '../domain/errors';
import { IdempotencyKeyReusedError } from '../event-store/handle-command';
import { IntegrityUnverifiedError } from '../integrity/integrity-errors';
import {
  DuplicateEventIdError,
  InvalidEventError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../event-store/event-store';
import { PROBLEM_CONTENT_TYPE, ProblemDetails, ProblemError, RequestValidationError, problem } from './problem';

const DOMAIN_STATUS = { invalid: 400, 'not-found': 404, conflict: 409 } as const;

/** Maps every error to problem+json, once, here: nothing below api/ knows HTTP. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = { ...this.toProblem(error), instance: request.url };
    if (body.status >= 500) this.logger.error(error instanceof Error ? error.stack : String(error));
    if (body.status === 401) void reply.header('www-authenticate', WWW_AUTHENTICATE);
    if (body.code === 'store-unavailable') void reply.header('retry-after', '1');
    void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
  }

  private toProblem(error: unknown): ProblemDetails {
    if (error instanceof ProblemError) return error.details;
    if (error instanceof RequestValidationError) {
      return problem(400, 'invalid-request', 'The request is not valid', error.message, { errors: error.errors });
    }
    if (error instanceof AuthError) {
      return problem(error.status, error.code, error.status === 401 ? 'Authentication needed' : 'Not allowed', error.message);
    }
    if (error instanceof DomainError) {
      const status = DOMAIN_STATUS[error.code];
      const title = { 400: 'The request breaks a rule', 404: 'Not found', 409: 'The request conflicts with the record' }[status];
      return problem(status, error.code === 'invalid' ? 'invalid-value' : error.code, title, error.message, {
        ...(error.field ? { errors: [{ field: error.field, reason: error.message }] } : {}),
      });
    }
    if (error instanceof WrongExpectedVersionError) {
      // handle-command retries races itself; what reaches here is a write under a stale If-Match.
      const actual = error.actual === 'no_stream' ? 'none' : String(error.actual);
      return problem(412, 'stale-revision', 'The record changed since you read it', `${error.message}; read it again and retry`, {
        errors: [{ field: 'If-Match', reason: `names revision ${String(error.expected)}, the current revision is ${actual}` }],
        currentRevision: actual,
      });
    }
    if (error instanceof InvalidEventError) {
      return problem(400, 'invalid-event', 'The event is not valid', error.message, { errors: [{ field: error.field, reason: error.message }] });
    }
    if (error instanceof DuplicateEventIdError) return problem(409, error.code, 'Duplicate event id', error.message);
    if (error instanceof StreamNotFoundError) return problem(404, 'not-found', 'Not found', error.message);
    if (error instanceof ThrottlerException) {
      return problem(429, 'rate-limited', 'Too many requests', 'Slow down and retry after the time given in Retry-After');
    }
    if (error instanceof IntegrityUnverifiedError) return problem(503, error.code, 'The record failed its integrity check', error.message);
    if (error instanceof HttpException) return fromHttpException(error);
    if (error instanceof IdempotencyKeyReusedError) {
      return problem(422, 'idempotency-key-reused', 'Idempotency-Key already used for another request', error.message, {
        errors: [{ field: 'Idempotency-Key', reason: error.message }],
      });
    }
    if (isEngineUnreachable(error)) {
      return problem(503, 'store-unavailable', 'The event store cannot be reached', 'The event store did not answer (it may be restarting or failing over). A write cut off this way may or may not have been recorded: retry it with the same Idempotency-Key after the time given in Retry-After');
    }
    return problem(500, 'internal', 'Internal error', 'The service failed to answer; the error was logged');
  }
}

/** Node's socket errors, and PostgreSQL's connection-class (08), shutdown (57P0x) and read-only (25006) states. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03', '25006']);

/**
 * The engine is down or failing over (PostgreSQL killed, a standby being promoted): an error that says
 * nothing about the request, so 503 with Retry-After rather than 500. Recognised by code only (no
 * driver is imported here): a socket error, a PostgreSQL connection state, or node-postgres's own
 * message for a connection that ended under a query.
 */
function isEngineUnreachable(error: unknown): boolean {
  // Not instanceof Error: a socket error is made in Node's own realm, which a test's sandbox does not share.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && /^Connection terminated|^Client has encountered a connection error|is read-only \(a standby\)/.test(message);
}

/**
 * HttpExceptions here come from Nest's own layers, chiefly Fastify's body parsing, which Nest
 * rethrows as HttpException(message, status) without Fastify's error code: the status is all we have.
 */
function fromHttpException(error: HttpException): ProblemDetails {
  const status = error.getStatus();
  const known: Record<number, [string, string, string?]> = {
    [HttpStatus.BAD_REQUEST]: ['malformed-body', 'The body could not be read as JSON', 'body'],
    [HttpStatus.NOT_FOUND]: ['not-found', 'Not found'],
    [HttpStatus.PAYLOAD_TOO_LARGE]: ['body-too-large', 'The request body is too large', 'body'],
    [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: ['unsupported-media-type', 'Send application/json', 'Content-Type'],
  };
  const [code, title, field] = known[status] ?? [`http-${status}`, error.message];
  // Terminus's 503 carries what is down and why (store, projections): keep it for operators and `annals status`.
  const health = error.getResponse() as { details?: unknown };
  const details = status === HttpStatus.SERVICE_UNAVAILABLE && typeof health === 'object' && health?.details ? { details: health.details } : {};
  return problem(status, code, title, error.message, field ? { errors: [{ field, reason: error.message }] } : details);
}
