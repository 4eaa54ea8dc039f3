import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Negotiator } from '@fastify/accept-negotiator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, of, type Observable } from 'rxjs';
import { ANNALS_CONFIG, type AnnalsConfig } from '../../config';
import { CITABLE } from '../receipt.interceptor';
import { answersConditionally } from './http-caching';
import { AnswerCache, COMPRESS_THRESHOLD, etagOf, type CachedAnswer, type Coding, type Validity } from './answer-cache';
import { parseIsoInstant } from '../dto/iso-instant';
import { answerText } from '../../projections/answer-text';

const JSON_TYPE = 'application/json; charset=utf-8';
/** A year: the longest max-age caches are asked to keep (RFC 9111 suggests no more). */
const IMMUTABLE_MAX_AGE = 31_536_000;

/**
 * Caching for citable reads (the @Citable handlers: answers of the read models, fixed by the
 * question and the log position they were computed at):
 * - an ETag on every answer, a 304 when If-None-Match names it (handled in the onSend hook, see
 *   http-caching.ts: Nest sets the status after interceptors run);
 * - `Cache-Control: immutable` with a year's max-age when knownAt lies before an applied event's
 *   record time (no later event can change the answer), `no-cache` (revalidate) otherwise;
 * - the answer's bytes kept in AnswerCache and served from it while they are still true, with
 *   their br / gzip forms compressed once.
 * Answers do not differ by role (no citable handler reads the caller), and the access guard and
 * rate limit run before interceptors, so a cached answer is only served to whoever may read it.
 * Receipts (`?receipt=true`) are left alone: they pin a checkpoint and its signature, not a position.
 */
@Injectable()
export class AnswerCacheInterceptor implements NestInterceptor {
  private readonly negotiator = new Negotiator<Coding>({ supportedValues: ['br', 'gzip', 'identity'] });
  private readonly scope: 'public' | 'private';
  /** Whether each handler is citable, read once: metadata lookups are a measurable share of a cached answer's cost. */
  private readonly citable = new WeakMap<object, boolean>();

  constructor(
    private readonly reflector: Reflector,
    private readonly cache: AnswerCache,
    @Inject(ANNALS_CONFIG) config: AnnalsConfig,
  ) {
    // With keys required for reads a shared cache must not hand an answer to someone without one.
    this.scope = config.auth.readsNeedKey ? 'private' : 'public';
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http' || !this.isCitable(context.getHandler())) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.method !== 'GET' && request.method !== 'HEAD') return next.handle();
    const question = questionOf(request.url);
    if (!question) return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const generation = this.cache.generation();
    const validity = this.cache.validityOf(question.knownAt);
    const cached = this.cache.get(question.key, generation, validity);
    if (cached) return of(this.send(request, reply, question.key, cached));
    return next.handle().pipe(
      map((answer: unknown) => {
        // Anything but a plain answer (a stream, bytes, nothing) is the handler's own business.
        if (answer === undefined || answer === null || typeof answer !== 'object' || Buffer.isBuffer(answer) || reply.statusCode !== 200) return answer;
        const identity = Buffer.from(answerText(answer)!);
        // Facts and figures answer with their stream's revision as ETag (If-Match on writes reads it
        // back); it names the answer to that URL as well as the hash would.
        const own = reply.getHeader('etag');
        const entry: CachedAnswer = { validity, generation, etag: typeof own === 'string' ? own : etagOf(identity), identity, encoded: {} };
        if (reply.getHeader('set-cookie') === undefined) this.cache.set(question.key, entry);
        return this.send(request, reply, question.key, entry);
      }),
    );
  }

  private isCitable(handler: object): boolean {
    let citable = this.citable.get(handler);
    if (citable === undefined) {
      citable = this.reflector.get<boolean | undefined>(CITABLE, handler as never) === true;
      this.citable.set(handler, citable);
    }
    return citable;
  }

  private send(request: FastifyRequest, reply: FastifyReply, key: string, entry: CachedAnswer): Buffer {
    const coding = entry.identity.length < COMPRESS_THRESHOLD ? 'identity' : this.codingFor(request);
    void reply
      .header('content-type', JSON_TYPE)
      .header('etag', entry.etag)
      // An answer that sets a cookie is its caller's alone, whatever it says (none of the citable reads does today).
      .header('cache-control', reply.getHeader('set-cookie') === undefined ? cacheControl(entry.validity, this.scope) : 'private, no-cache')
      // Lower case, as @fastify/compress writes and looks for it.
      .header('vary', 'accept-encoding');
    if (coding !== 'identity') void reply.header('content-encoding', coding);
    answersConditionally(request);
    return this.cache.encoded(key, entry, coding);
  }

  private codingFor(request: FastifyRequest): Coding {
    const header = request.headers['accept-encoding'];
    if (typeof header !== 'string' || header === '') return 'identity';
    return this.negotiator.negotiate(header) ?? 'identity';
  }
}

function cacheControl(validity: Validity, scope: string): string {
  return validity.past ? `${scope}, max-age=${IMMUTABLE_MAX_AGE}, immutable` : `${scope}, no-cache`;
}

/**
 * The cache key of a request: its path and its query with parameters in name order (values of a
 * repeated name keep theirs). Undefined for a receipt: it carries a signed checkpoint, not a position.
 */
export function questionOf(url: string): { key: string; knownAt: number | undefined } | undefined {
  const at = url.indexOf('?');
  const path = at < 0 ? url : url.slice(0, at);
  const query = new URLSearchParams(at < 0 ? '' : url.slice(at + 1));
  const receipt = query.getAll('receipt');
  if (receipt.some((value) => value !== 'false')) return undefined;
  query.sort();
  const knownAts = query.getAll('knownAt');
  // Read as the DTO reads it (Date.parse takes no basic or week form, and a time without offset as local time):
  // an instant judged "past" here that the query reads as later would be served as immutable while it can change.
  // An invalid knownAt is refused by the DTO; NaN compares as "not past" meanwhile.
  const knownAt = knownAts.length === 1 ? (parseIsoInstant(knownAts[0])?.getTime() ?? NaN) : undefined;
  const search = query.toString();
  return { key: search ? `${path}?${search}` : path, knownAt };
}
