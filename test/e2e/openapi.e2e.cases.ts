import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';

/**
 * The OpenAPI document says what the API answers: a schema for every success, the problem+json
 * schema for every error status, /events' parameters, the write headers, optional query
 * parameters as optional, and examples that work when sent as they are.
 */

interface Operation {
  parameters?: { name: string; in: string; required?: boolean; example?: string }[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  requestBody?: { content: Record<string, { example?: unknown }> };
}
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, { required?: string[] }> } };

const METHODS = ['get', 'post', 'delete'];

describe('the OpenAPI document', () => {
  let app: NestFastifyApplication;
  let document: Document;
  const http = () => request(app.getHttpServer());
  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, operation]) => ({ path, method, operation })),
    );

  beforeAll(async () => {
    app = await createTestApp();
    await importDemoData(app);
    document = (await http().get('/docs/json').expect(200)).body;
  });
  afterAll(() => app.close());

  it('is served at /docs-json too, the same document', async () => {
    const response = await http().get('/docs-json').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual(document);
  });

  it('gives every success answer a schema, except the event stream and empty answers', () => {
    const missing = operations()
      .flatMap(({ path, method, operation }) =>
        Object.entries(operation.responses)
          .filter(([status]) => /^2/.test(status) && status !== '204')
          .filter(([, response]) => !Object.values(response.content ?? {}).some((c) => c.schema))
          .map(([status]) => `${method} ${path} ${status}`),
      );
    expect(missing).toEqual([]);
    expect(document.paths['/events'].get.responses['200'].content?.['text/event-stream']).toBeDefined();
  });

  it('documents every error status with the problem+json schema, 412 where If-Match is read and 404 where an id is', () => {
    for (const { path, method, operation } of operations()) {
      const statuses = Object.keys(operation.responses);
      const expected = ['400', '401', '403', '429', '500'];
      if (path.includes('{')) expected.push('404');
      if (operation.parameters?.some((p) => p.name === 'If-Match')) expected.push('412');
      if (method === 'post') expected.push('409', '413', '415');
      if (path === '/events' || path === '/health') continue;
      expect({ op: `${method} ${path}`, statuses: expected.filter((s) => !statuses.includes(s)) }).toEqual({ op: `${method} ${path}`, statuses: [] });
      for (const status of expected) {
        expect(operation.responses[status].content?.['application/problem+json']?.schema?.$ref).toBe('#/components/schemas/Problem');
      }
    }
    expect(document.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
  });

  it("documents /events' parameters and marks no query parameter required", () => {
    const events = document.paths['/events'].get;
    const names = (events.parameters ?? []).map((p) => `${p.in}:${p.name}`);
    expect(events.responses['400'].content?.['application/problem+json']?.schema?.$ref).toBe('#/components/schemas/Problem');
    expect(names).toEqual(['query:from', 'query:types', 'query:streams', 'header:Last-Event-ID']);
    const required = operations().flatMap(({ path, operation }) => (operation.parameters ?? []).filter((p) => p.in === 'query' && p.required).map((p) => `${path} ${p.name}`));
    expect(required).toEqual([]);
  });

  it('documents Idempotency-Key, X-Correlation-Id and the bearer key on writes, If-Match on corrections', () => {
    const writes = operations().filter((o) => o.method === 'post' && /^\/(facts|figures)/.test(o.path));
    expect(writes.length).toBeGreaterThanOrEqual(8);
    for (const { path, method, operation } of writes) {
      const names = (operation.parameters ?? []).map((p) => p.name);
      expect({ op: `${method} ${path}`, has: ['Idempotency-Key', 'X-Correlation-Id'].filter((h) => names.includes(h)) }).toEqual({ op: `${method} ${path}`, has: ['Idempotency-Key', 'X-Correlation-Id'] });
      if (/corrections|retraction|rank/.test(path)) expect(names).toContain('If-Match');
    }
    expect(JSON.stringify(document)).toContain('"bearer"');
  });

  it('shows the marks of personal data on every write that records text (docs/erasure.md)', () => {
    const schemas = document.components.schemas as Record<string, { properties?: Record<string, { type?: string; items?: { $ref?: string } }>; required?: string[] }>;
    for (const dto of ['RecordFactDto', 'CorrectFactDto', 'AddFactSourceDto', 'DefineFigureDto', 'AssertClaimDto', 'CorrectClaimDto']) {
      expect({ dto, subjects: schemas[dto]?.properties?.subjects }).toMatchObject({ dto, subjects: { type: 'array', items: { $ref: '#/components/schemas/SubjectMarkDto' } } });
    }
    expect(schemas.SubjectMarkDto.required).toEqual(['subject', 'path']);
    expect(Object.keys(schemas.SubjectMarkDto.properties ?? {})).toEqual(['subject', 'path', 'passage']);
  });

  // The examples, executed as "Try it out" sends them: test/e2e/openapi-examples.e2e.cases.ts.

  it("describes the read answers' required members as the API sends them", async () => {
    const reads: [string, string][] = [
      ['/timeline?asOf=2019-03-31', 'TimelinePage'],
      ['/figures', 'FigurePage'],
      ['/figures/civilians-killed-by-coalition-strikes', 'Figure'],
      ['/facts/us-led-coalition-formed', 'Fact'],
      ['/facts/us-led-coalition-formed/history', 'FactHistory'],
      ['/auth/session', 'Session'],
    ];
    for (const [url, schema] of reads) {
      const body = (await http().get(url).expect(200)).body;
      const required = document.components.schemas[schema].required ?? [];
      expect({ url, missing: required.filter((key) => !(key in body)) }).toEqual({ url, missing: [] });
    }
  });
});
