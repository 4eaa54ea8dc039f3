import type { FastifyInstance, FastifyRequest } from 'fastify';
import { brotliDecompressSync, gunzipSync, inflateSync, type ZlibOptions } from 'node:zlib';
import { ProblemError, problem } from './problem';

/**
 * The one JSON body parser, in place of Fastify's: it decodes a compressed body, refuses nesting
 * deeper than MAX_BODY_DEPTH before anything recurses into the body (the DTO validation and
 * transformation are recursive: 2,000 levels overflowed the stack), and refuses prototype keys
 * with their path, where secure-json-parse would only say "not valid JSON".
 */

/** Objects and arrays inside one another; the deepest real body (a claim correction's source) is 3. */
export const MAX_BODY_DEPTH = 32;

type Decoder = (body: Buffer, options: ZlibOptions) => Buffer;

/** Content-Encoding values a client may send; a decoded body must still fit the body limit. */
const DECODERS: Record<string, Decoder> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: (body, options) => brotliDecompressSync(body, { maxOutputLength: options.maxOutputLength }),
};

export function registerJsonBodyParser(fastify: FastifyInstance): void {
  const limit = fastify.initialConfig.bodyLimit ?? 1024 * 1024;
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    try {
      done(null, parseJsonBody(decode(request.headers['content-encoding'], body, limit)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** Decodes the body as its Content-Encoding says, stopping as soon as it outgrows `limit` (a zip bomb). */
export function decode(header: string | string[] | undefined, body: Buffer, limit: number): Buffer {
  const encoding = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return body;
  const decoder = Object.hasOwn(DECODERS, encoding) ? DECODERS[encoding] : undefined;
  if (!decoder) {
    throw bodyProblem(415, 'unsupported-content-encoding', 'Content-Encoding', 'Send the body as it is, or encoded with one of gzip, deflate or br');
  }
  try {
    return decoder(body, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw bodyProblem(413, 'body-too-large', 'body', `the decoded body is larger than the limit of ${limit} bytes`);
    }
    throw bodyProblem(400, 'malformed-body', 'Content-Encoding', `the body is not valid ${encoding}`);
  }
}

/** JSON.parse, once the depth is known to be safe, then a check of every key. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw bodyProblem(400, 'malformed-body', 'body', 'the body is empty; send a JSON document');
  const depth = nestingDepth(body, MAX_BODY_DEPTH);
  if (depth > MAX_BODY_DEPTH) {
    throw bodyProblem(400, 'body-too-deep', 'body', `objects and arrays may be nested at most ${MAX_BODY_DEPTH} levels deep`);
  }
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bodyProblem(400, 'malformed-body', 'body', `the body is not valid JSON: ${(error as Error).message}`);
  }
  refusePrototypeKeys(value);
  return value;
}

/**
 * How deep objects and arrays nest, counted on the raw bytes without recursion, stopping once past
 * `stopAfter`. UTF-8 never puts an ASCII byte inside a multi-byte character, so brackets and quotes
 * are found byte by byte; those inside strings are text.
 */
export function nestingDepth(body: Uint8Array, stopAfter: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c) i++; // a backslash escapes the next byte (an escaped quote stays in the string)
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > deepest) deepest = depth;
      if (deepest > stopAfter) return deepest;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

/**
 * secure-json-parse's rules (protoAction and constructorAction 'error'), with the path of the key:
 * JSON.parse makes `__proto__` an own key, harmless here, but any later spread or merge could turn
 * it into a prototype, so a body carrying one is refused whole. Depth is already bounded.
 */
function refusePrototypeKeys(value: unknown, path = ''): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => refusePrototypeKeys(item, `${path}[${index}]`));
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    const poisoned = key === '__proto__' || (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype'));
    if (poisoned) throw bodyProblem(400, 'forbidden-field', field, `${key} is not allowed as a field name: it could set an object's prototype`);
    refusePrototypeKeys(child, field);
  }
}

function bodyProblem(status: number, code: string, field: string, reason: string): ProblemError {
  const title = { 400: 'The body could not be read', 413: 'The request body is too large', 415: 'Unsupported Content-Encoding' }[status] ?? 'Bad body';
  return new ProblemError(problem(status, code, title, `${field}: ${reason}`, { errors: [{ field, reason }] }));
}
