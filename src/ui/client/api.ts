/*
 * The page's one door to the API: GET for reading (a problem+json answer, or none, becomes an
 * ApiProblem) and send() for writing (JSON in and out, the CSRF header a cookie session needs).
 */
import type { Problem } from './api-types';

export class ApiProblem {
  constructor(readonly problem: Problem) {}
}

/**
 * The highest log position the page's own writes reached (their Annals-Position): every later read
 * asks for it (Annals-Min-Position), so behind several replicas the page still shows what it wrote.
 */
let ownPosition: bigint | undefined;

function noteOwnPosition(response: Response): void {
  const header = response.headers.get('annals-position');
  if (header === null || !/^\d{1,19}$/.test(header)) return;
  const position = BigInt(header);
  if (ownPosition === undefined || position > ownPosition) ownPosition = position;
}

function readHeaders(): Record<string, string> {
  return ownPosition === undefined ? {} : { 'annals-min-position': ownPosition.toString() };
}

export type Params = Record<string, string | number | boolean | null | undefined>;

/** '?a=1&b=2' from the parameters that have a value, '' when none has. */
export function query(params: Params): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? '?' + text : '';
}

function parse(body: string): unknown {
  try {
    return body ? JSON.parse(body) : null;
  } catch {
    return null;
  }
}

/** GET a JSON resource; a problem+json answer (or no answer) becomes an ApiProblem. */
export async function api<T>(path: string, params: Params = {}): Promise<T> {
  const url = path + query(params);
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json', ...readHeaders() } });
  } catch {
    throw new ApiProblem({ title: 'The service could not be reached', detail: 'GET ' + url + ' failed: check that Annals is running.' });
  }
  const data = parse(await response.text());
  if (response.ok && data !== null) return data as T;
  if (data && typeof data === 'object' && (data as Problem).title) throw new ApiProblem(data as Problem);
  throw new ApiProblem({
    title: 'The service answered ' + response.status + (response.statusText ? ' ' + response.statusText : ''),
    detail: 'GET ' + url + ' did not return the expected JSON.',
    status: response.status,
  });
}

export interface Answer<T = unknown> {
  ok: boolean;
  status: number;
  etag?: string | null;
  body: T | null;
}

/** Every write from the page: JSON in, JSON out, the CSRF header for a cookie session. Never throws. */
export async function send<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      // No content-type without a body: the server refuses an empty JSON body (a DELETE has none).
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-annals-csrf': '1', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    const problem: Problem = { title: 'The service could not be reached', detail: method + ' ' + path + ' failed: check that Annals is running.' };
    return { ok: false, status: 0, body: problem as T };
  }
  noteOwnPosition(response);
  const data = parse(await response.text()) as T | null;
  return { ok: response.ok, status: response.status, etag: response.headers.get('etag'), body: data };
}

/** The title of a failure, for a short note beside what could not be drawn. */
export function problemTitle(error: unknown): string {
  return error instanceof ApiProblem && error.problem.title ? error.problem.title : 'no answer';
}
