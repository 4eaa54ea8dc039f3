import compress from '@fastify/compress';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { COMPRESS_THRESHOLD } from './answer-cache';

/** Compressed unless a stream of server-sent events (each event must reach the client as it is written). */
const compressible = (type: string): boolean => !type.startsWith('text/event-stream') && /^(application\/(json|problem\+json|x-ndjson|xml|atom\+xml|rss\+xml|javascript)|text\/|image\/svg\+xml)/.test(type);

/** Answers whose ETag names them in every coding (set by AnswerCacheInterceptor): only these may become a 304. */
const validated = new WeakSet<FastifyRequest>();

export function answersConditionally(request: FastifyRequest): void {
  validated.add(request);
}

/**
 * HTTP-level caching: compression of large answers on every route (@fastify/compress; answers the
 * AnswerCacheInterceptor already compressed carry their Content-Encoding and are left alone) and
 * conditional GETs of citable reads: a 200 whose ETag the request's If-None-Match names becomes a
 * bodiless 304. A receipt's ETag (its fact's or figure's revision) does not name the receipt, so
 * receipts are always sent whole. Request bodies are not decompressed: a write stays plain JSON
 * under the body limit as sent.
 */
export async function configureHttpCaching(app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.register(compress, { threshold: COMPRESS_THRESHOLD, customTypes: compressible, globalDecompression: false });
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode !== 200 || !validated.has(request)) return payload;
    const etag = reply.getHeader('etag');
    const wanted = request.headers['if-none-match'];
    if (typeof etag !== 'string' || typeof wanted !== 'string' || !names(wanted, etag)) return payload;
    void reply.code(304);
    for (const header of ['content-type', 'content-length', 'content-encoding']) reply.removeHeader(header);
    return null;
  });
}

/** If-None-Match's weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag equal to ours once W/ is set aside. */
export function names(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  const ours = opaque(etag);
  return ifNoneMatch.split(',').some((tag) => opaque(tag.trim()) === ours);
}

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);
