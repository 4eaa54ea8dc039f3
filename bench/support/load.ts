import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { Samples, summarize } from '../stats';

export interface NextRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly seconds: number;
  readonly meanResponseBytes: number;
  /** Count per HTTP status other than 2xx, to tell a rate limit (429) from a conflict or a crash. */
  readonly statuses: Record<string, number>;
}

/**
 * autocannon for a bounded time, every request built fresh by `next` (unique ids for writes,
 * random dates and figures for reads). Latencies are taken from each response in ms with
 * sub-millisecond precision (autocannon's own histogram rounds to whole ms), 2xx only; req/s
 * counts 2xx only.
 */
export async function load(url: string, connections: number, seconds: number, next: () => NextRequest): Promise<LoadResult> {
  const latencies = new Samples();
  let non2xx = 0;
  const statuses: Record<string, number> = {};
  let bytes = 0;
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    sampleInt: 100,
    timeout: 30,
    requests: [
      {
        setupRequest: (request): autocannon.Request => {
          const n = next();
          const headers: Record<string, string> = n.body === undefined ? {} : { 'content-type': 'application/json', 'x-actor': 'bench' };
          return {
            ...request,
            method: n.method,
            path: n.path,
            body: n.body ?? '',
            headers,
          };
        },
      },
    ],
  });
  instance.on('response', (_client, status, size, time) => {
    if (status >= 200 && status < 300) {
      latencies.push(time);
      bytes += size;
    } else {
      non2xx++;
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  });
  const result = await instance;
  const summary = summarize(latencies.values());
  return {
    requestsPerSecond: latencies.length / result.duration,
    p50: summary.p50,
    p99: summary.p99,
    ok: latencies.length,
    non2xx,
    errors: result.errors,
    seconds: result.duration,
    meanResponseBytes: latencies.length ? bytes / latencies.length : 0,
    statuses,
  };
}

/**
 * One request at a time over one keep-alive connection, so each latency is the service time of
 * that request, not time spent queued behind others. Runs at least `minSeconds` and `minCount`
 * requests, at most `maxSeconds`: a slow query still gets enough samples for a p99 to mean
 * something, and a fast one is not run for ever.
 */
export async function sequential(url: string, next: () => string, minSeconds: number, minCount: number, maxSeconds: number): Promise<{ p50: number; p99: number; count: number; meanResponseBytes: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = new Samples();
  let bytes = 0;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  try {
    while ((elapsed() < minSeconds || latencies.length < minCount) && elapsed() < maxSeconds) {
      const path = next();
      const t = performance.now();
      const size = await new Promise<number>((resolve, reject) => {
        const req = request(url + path, { agent }, (res) => {
          let n = 0;
          res.on('data', (chunk: Buffer) => (n += chunk.length));
          res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end();
      });
      latencies.push(performance.now() - t);
      bytes += size;
    }
  } finally {
    agent.destroy();
  }
  const { p50, p99 } = summarize(latencies.values());
  return { p50, p99, count: latencies.length, meanResponseBytes: latencies.length ? bytes / latencies.length : 0 };
}
