import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { factBody, figureBody, claimBody, correctionBody } from '../support/factories';
import { givenKeys } from '../support/keys';
import { PARSER_CASES, expectParserProblem, expectSecurityHeaders, rawRequest } from '../support/raw-http';
import { startService, type ServiceProcess } from '../support/service-process';
import { Receiver, eventually } from '../support/watches';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, shared with `npm start`'s prestart
const { ensureBuild } = require('../../scripts/ensure-build') as { ensureBuild(): boolean };

/**
 * What `npm start` runs, node dist/main.js, not the test app: once the two were built by different
 * code and only the test app answered parser-level errors as problem+json. dist/ is built here when
 * it is stale (scripts/ensure-build.js, as prestart does), so this runs the sources as they are.
 */
describe('the built production entry (node dist/main.js)', () => {
  const dirs: string[] = [];
  const services: ServiceProcess[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'annals-entry-'));
    dirs.push(dir);
    const service = await startService(dir, env, 'built');
    services.push(service);
    return service;
  };
  const stop = async (service: ServiceProcess) => {
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    await service.exited;
  };

  beforeAll(() => {
    ensureBuild();
  }, 600_000);
  afterAll(async () => {
    for (const service of services) await stop(service);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('raw requests the HTTP parser or the router refuse', () => {
    let port: number;
    beforeAll(async () => {
      port = Number(new URL((await start()).base).port);
    }, 120_000);

    // The same cases the in-process app is sent in test/e2e/hostile-input.e2e.cases.ts.
    it.each(PARSER_CASES.map((c) => [c.name, c] as const))('answers %s with problem+json and the security headers', async (_, parserCase) => {
      expectParserProblem(await rawRequest(port, parserCase.bytes), parserCase);
    });

    it('answers an ordinary request with the same security headers', async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      expect(response.status).toBe(200);
      expectSecurityHeaders(Object.fromEntries(response.headers));
    });
  });

  it('says at info what matters in a few lines, and logs its shutdown on SIGTERM', async () => {
    const service = await start({ LOG_LEVEL: 'info', ANNALS_DEMO_DATA: 'true' });
    // /health can answer before the parent has read the line written just before it.
    await eventually(() => (service.output().includes('Annals listening') ? true : undefined), 'the listening line');
    const startLog = logLines(service.output());
    const said = startLog.map((line) => line.msg).join('\n');
    expect(said).toMatch(/Annals listening on http:\/\/127\.0\.0\.1:\d+ \(store: sqlite .*events\.db/);
    expect(said).toMatch(/no API keys configured/);
    expect(said).toMatch(/log verified/);
    expect(said).toMatch(/imported the demo data/);
    // Nest's line per module, controller and route is debug: info stays readable.
    expect(startLog.filter((line) => ['InstanceLoader', 'RoutesResolver', 'RouterExplorer'].includes(line.context ?? ''))).toEqual([]);
    expect(startLog.length).toBeLessThanOrEqual(10);

    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: null, signal: 'SIGTERM' });
    const shutdown = logLines(service.output()).slice(startLog.length).map((line) => line.msg);
    expect(shutdown).toEqual([expect.stringMatching(/^SIGTERM received: closing/), expect.stringMatching(/^drained and closed in \d+ ms/)]);
  }, 120_000);

  it('writes no API key, session cookie, CSRF token or webhook secret into a trace log', async () => {
    const keys = givenKeys({ desk: 'admin' });
    const receiver = await new Receiver().start();
    // The first delivery fails, so the dispatcher's failure and retry are in the log too.
    receiver.status = 500;
    try {
      const service = await start({ LOG_LEVEL: 'trace', ANNALS_KEYS_FILE: keys.file, ANNALS_WEBHOOK_ALLOW_PRIVATE: 'true', ANNALS_WEBHOOK_RETRY_BASE_MS: '50' });
      const bearer = { authorization: keys.bearer('desk'), 'content-type': 'application/json' };
      const post = (path: string, body: unknown, headers: Record<string, string> = bearer) => fetch(`${service.base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

      const login = await post('/auth/session', { key: keys.secret('desk') }, { 'content-type': 'application/json' });
      expect(login.status).toBe(200);
      const cookie = login.headers.getSetCookie()[0].split(';')[0];
      const csrf = 'csrf-token-that-must-not-be-logged';
      expect((await post('/facts', factBody(), { cookie, 'x-annals-csrf': csrf, 'content-type': 'application/json' })).status).toBe(201);

      const figure = figureBody();
      const claim = claimBody({ assertedOn: '2019-02-15', period: undefined });
      expect((await post('/figures', figure)).status).toBe(201);
      expect((await post(`/figures/${figure.id}/claims`, claim)).status).toBe(201);
      const watch = await post('/watches', { kind: 'figure', figureId: figure.id, asOf: '2019-03-28', webhookUrl: receiver.url });
      expect(watch.status).toBe(201);
      const { webhook } = (await watch.json()) as { webhook: { secret: string } };
      const change = correctionBody({ value: { kind: 'exact', value: 1300 } }, 'the table, not the text');
      expect((await post(`/figures/${figure.id}/claims/${claim.id}/corrections`, change)).status).toBe(200);
      await eventually(() => (receiver.received.length > 0 ? true : undefined), 'the failed first delivery');
      receiver.status = 204;
      await eventually(() => (receiver.received.length > 1 ? true : undefined), 'the retried delivery');

      const log = service.output();
      // The log is the trace log of these requests (so the check below looks where secrets would be).
      expect(log).toMatch(/"req":\{[^\n]*"headers":\{[^\n]*"authorization":"\[redacted\]"/);
      expect(log).toMatch(/"cookie":"\[redacted\]"/);
      for (const secret of [keys.secret('desk'), cookie.split('=')[1], csrf, webhook.secret]) expect(log).not.toContain(secret);
    } finally {
      await receiver.stop();
    }
  }, 120_000);
});

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly context?: string;
}

/** pino's JSON lines at info (30) or above, from everything the process wrote. */
function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.level >= 30);
}
