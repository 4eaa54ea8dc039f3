import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { givenKeys } from '../support/keys';

/** /metrics in Prometheus' text format: the log's gauges (head, applied, lag), the projections' state, request counts; and who may read it. */

/** The value of an unlabelled sample, or of the first one whose labels include `labels`. */
function sample(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || (rest.startsWith('{') && rest.includes(labels)))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('/metrics', () => {
  describe('with no key created', () => {
    let app: NestFastifyApplication;
    const http = () => request(app.getHttpServer());
    beforeAll(async () => {
      app = await createTestApp({ minPositionWaitMs: 50 });
    });
    afterAll(async () => {
      await app.close();
    });

    it('reports the engine head, the applied position, lag, subscription and rebuild state, as /health does', async () => {
      const written = await http().post('/facts').send(factBody()).expect(201);
      const position = Number(written.headers['annals-position']);
      const scraped = await http().get('/metrics').expect(200);
      expect(scraped.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = scraped.text;
      expect(sample(text, 'annals_engine_head_position')).toBe(position);
      expect(sample(text, 'annals_applied_position')).toBe(position);
      expect(sample(text, 'annals_lag_events')).toBe(0);
      expect(sample(text, 'annals_lag_seconds')).toBe(0);
      expect(sample(text, 'annals_engine_up')).toBe(1);
      expect(sample(text, 'annals_subscription_up')).toBe(1);
      expect(sample(text, 'annals_rebuild_running')).toBe(0);
      expect(sample(text, 'annals_rebuild_progress_ratio')).toBe(1);
      expect(sample(text, 'annals_quarantined_events')).toBe(0);
      expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      const health = (await http().get('/health').expect(200)).body;
      expect(health.info.projections).toMatchObject({ position: String(position), lag: '0', lagSeconds: 0 });
    });

    it('counts requests by method, route pattern and status, and 5xx answers as errors', async () => {
      const count = (text: string, labels: string) => sample(text, 'annals_http_requests_total', labels) ?? 0;
      const unmatched = 'method="GET",route="unmatched",status="404"';
      // The app's own probe at start-up (src/http-app.ts) was an unmatched request too.
      const before = count((await http().get('/metrics').expect(200)).text, unmatched);
      await http().get('/facts/no-such-fact').expect(404);
      await http().get('/facts/another-missing-fact').expect(404);
      await http().get('/no/such/route').expect(404);
      await http().get('/timeline').set('Annals-Min-Position', '999999').expect(503);
      const text = (await http().get('/metrics').expect(200)).text;
      expect(sample(text, 'annals_http_requests_total', 'method="GET",route="/facts/:id",status="404"')).toBe(2);
      expect(count(text, unmatched)).toBe(before + 1);
      expect(sample(text, 'annals_http_errors_total', 'method="GET",route="/timeline",status="503"')).toBe(1);
      // One series per route pattern: no record id becomes a label.
      expect(text).not.toContain('no-such-fact');
    });
  });

  describe('once keys exist', () => {
    let app: NestFastifyApplication;
    const keys = givenKeys({ scraper: 'reader', desk: 'editor' });
    const http = () => request(app.getHttpServer());
    beforeAll(async () => {
      app = await createTestApp({ minPositionWaitMs: 50, auth: { keysFile: keys.file } });
    });
    afterAll(async () => {
      await app.close();
    });

    it('needs a key of any role, even while reads are open', async () => {
      await http().get('/timeline').expect(200);
      const refused = await http().get('/metrics');
      expect(refused.status).toBe(401);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe('auth.missing-key');
      await http().get('/metrics').set('Authorization', 'Bearer not-a-key').expect(401);
      await http().get('/metrics').set('Authorization', keys.bearer('scraper')).expect(200);
      await http().get('/metrics').set('Authorization', keys.bearer('desk')).expect(200);
    });
  });
});
