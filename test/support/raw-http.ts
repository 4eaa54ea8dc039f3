import { connect } from 'node:net';

/**
 * Requests no HTTP client would send, as raw bytes over a socket: what Node's parser and Fastify's
 * router refuse before a request reaches Nest. The in-process app (test/e2e/hostile-input) and the
 * built production entry (test/e2e/production-entry) are both sent every case.
 */
export interface ParserCase {
  readonly name: string;
  readonly bytes: string;
  readonly status: number;
  readonly statusLine: string;
  readonly code: string;
}

export const PARSER_CASES: readonly ParserCase[] = [
  {
    name: 'headers too large',
    bytes: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    status: 431,
    statusLine: 'HTTP/1.1 431 Request Header Fields Too Large',
    code: 'headers-too-large',
  },
  { name: 'a URI too long', bytes: `GET /facts/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 414, statusLine: 'HTTP/1.1 414 URI Too Long', code: 'uri-too-long' },
  { name: 'a path segment too long', bytes: `GET /facts/${'a'.repeat(200)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 414, statusLine: 'HTTP/1.1 414 URI Too Long', code: 'uri-too-long' },
  { name: 'a path with broken percent-encoding', bytes: 'GET /facts/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n', status: 400, statusLine: 'HTTP/1.1 400 Bad Request', code: 'bad-url' },
  { name: 'a malformed request line', bytes: 'GARBAGE\r\n\r\n', status: 400, statusLine: 'HTTP/1.1 400 Bad Request', code: 'malformed-request' },
  { name: 'a header without a colon', bytes: 'GET / HTTP/1.1\r\nHost x\r\n\r\n', status: 400, statusLine: 'HTTP/1.1 400 Bad Request', code: 'malformed-request' },
  { name: 'a header name with a space', bytes: 'GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n', status: 400, statusLine: 'HTTP/1.1 400 Bad Request', code: 'malformed-request' },
  {
    name: 'a bad chunk',
    bytes: 'POST /facts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    status: 400,
    statusLine: 'HTTP/1.1 400 Bad Request',
    code: 'malformed-request',
  },
  {
    name: 'a Content-Length that is not a number',
    bytes: 'POST /facts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}',
    status: 400,
    statusLine: 'HTTP/1.1 400 Bad Request',
    code: 'malformed-request',
  },
  {
    name: 'two different Content-Lengths',
    bytes: 'POST /facts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    status: 400,
    statusLine: 'HTTP/1.1 400 Bad Request',
    code: 'malformed-request',
  },
  {
    name: 'both Content-Length and Transfer-Encoding (request smuggling)',
    bytes: 'POST /facts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    status: 400,
    statusLine: 'HTTP/1.1 400 Bad Request',
    code: 'malformed-request',
  },
];

/** Sends raw bytes and returns the raw answer (the server closes the connection after a parser error). */
export function rawRequest(port: number, bytes: string, host = '127.0.0.1'): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, host, () => socket.end(bytes));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

export interface RawAnswer {
  readonly statusLine: string;
  /** Lower-cased names. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function parseRawAnswer(answer: string): RawAnswer {
  const split = answer.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = (split === -1 ? answer : answer.slice(0, split)).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { statusLine, headers, body: split === -1 ? '' : answer.slice(split + 4) };
}

/** The answer is the case's problem+json, with the security headers every answer of the API carries. */
export function expectParserProblem(answer: string, expected: ParserCase): void {
  const { statusLine, headers, body } = parseRawAnswer(answer);
  expect({ statusLine, contentType: headers['content-type'] }).toEqual({ statusLine: expected.statusLine, contentType: expect.stringMatching(/^application\/problem\+json/) });
  expect(JSON.parse(body)).toMatchObject({ status: expected.status, code: expected.code, title: expect.any(String) });
  expectSecurityHeaders(headers);
}

/** helmet's headers as src/api/security.ts configures them for an API answer. */
export function expectSecurityHeaders(headers: Record<string, string | string[] | number | undefined>): void {
  expect(headers).toMatchObject({
    'content-security-policy': expect.stringContaining("default-src 'none'"),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  });
}
