import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE, problem, type ProblemDetails } from './problem';

/**
 * Problem+json for the errors raised before a request reaches Nest: by Node's HTTP parser (the
 * server's 'clientError': headers too large, malformed request lines, bad chunking) and by
 * Fastify's router (a path with broken percent-encoding, a path parameter too long). Both are
 * Fastify options, so createHttpApp gives them to the adapter it creates. Neither answer passes
 * through Fastify's hooks, where helmet sets the security headers: they get the headers the app's
 * own answers carry, learnt once the app is ready (useSecurityHeaders).
 */
export class ParserErrorAnswers {
  private securityHeaders: Readonly<Record<string, string>> = {};

  useSecurityHeaders(headers: Readonly<Record<string, string>>): void {
    this.securityHeaders = headers;
  }

  fastifyOptions(): Pick<FastifyServerOptions, 'clientErrorHandler' | 'frameworkErrors'> {
    return { clientErrorHandler: (error, socket) => this.answerClientError(error, socket), frameworkErrors: (error, request, reply) => this.answerFrameworkError(error, request, reply) };
  }

  answerClientError(error: ParserError, socket: Socket): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const body = clientProblem(error);
    const json = JSON.stringify(body);
    // A response already started on this socket (e.g. a 415 before a broken body arrived) is not followed by a second one.
    const started = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent === true;
    if (socket.writable && !started) {
      const security = Object.entries(this.securityHeaders).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.write(
        `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n${security}` +
          `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
      );
    }
    socket.destroy();
  }

  answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    const body =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? problem(414, 'uri-too-long', 'URI too long', 'A path segment is longer than the server accepts', { errors: [{ field: 'path', reason: 'too long' }] })
        : error.code === 'FST_ERR_BAD_URL'
          ? problem(400, 'bad-url', 'The URL could not be read', 'The path holds an invalid percent-encoding', {
              errors: [{ field: 'path', reason: 'invalid percent-encoding' }],
            })
          : problem(400, 'bad-request', 'Bad request', error.message);
    void reply
      .status(body.status)
      .headers({ ...this.securityHeaders })
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send({ ...body, instance: request.url });
  }
}

/** A request line longer than this, in a request whose headers overflowed, is the URI's fault. */
const LONG_REQUEST_LINE = 8 * 1024;

/** Node's HTTP parser error; Fastify's types describe rawPacket as JSON, Node gives a Buffer. */
type ParserError = Error & { code?: string; rawPacket?: unknown };

function clientProblem(error: ParserError): ProblemDetails {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return problem(408, 'request-timeout', 'Request timeout', 'The request was not received in time');
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // Node counts the request line among the headers; a long first line means the URI is too long.
    const packet = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : Buffer.alloc(0);
    const lineEnd = packet.indexOf('\n');
    if (/^[A-Z]+ /.test(packet.subarray(0, 16).toString('latin1')) && (lineEnd === -1 || lineEnd > LONG_REQUEST_LINE)) {
      return problem(414, 'uri-too-long', 'URI too long', 'The request line is longer than the server accepts; send the data in a body');
    }
    return problem(431, 'headers-too-large', 'Request header fields too large', 'The request headers are larger than the server accepts');
  }
  return problem(400, 'malformed-request', 'Malformed request', `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`);
}
