import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { DEMO_DATA_FILE, importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';

/**
 * "Try it out" on every write operation of /docs, as Swagger UI sends it: path, query and header
 * parameters from their examples, the body from the request's example, in the document's order, on
 * a fresh demo store. Each must succeed, a second Execute must be refused cleanly (or repeat
 * harmlessly), and no demo record may change: examples write only their own `example-…` records.
 */

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  example?: unknown;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { example?: unknown }> };
}

const WRITES = ['post', 'put', 'patch', 'delete'];
const demo = JSON.parse(readFileSync(DEMO_DATA_FILE, 'utf8')) as { facts: { id: string }[]; figures: { id: string }[] };

/** Writes whose example cannot succeed on a fresh store by what they are; each answer is still checked. */
const CANNOT_SUCCEED: Record<string, { status: number; why: string }> = {
  'post /auth/session': { status: 401, why: 'its body is an API key, which no published document can hold' },
  'post /admin/integrity/acknowledge': { status: 409, why: 'a fresh store passed its integrity check: there is no mismatch to acknowledge' },
  'post /admin/subjects/erase': { status: 404, why: 'erasing a person of the demo data would change the demo records this test compares; its example names nobody recorded' },
  'post /admin/withhold': { status: 404, why: 'withholding text of the demo data would change the demo records this test compares; its example names no event' },
};

describe('the OpenAPI examples, executed as "Try it out" sends them', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp();
    await importDemoData(app);
  });
  afterAll(() => app.close());

  /** Every demo record, as its GET answers say it. */
  async function demoRecords(): Promise<Record<string, unknown>> {
    const urls = [
      ...demo.facts.flatMap((f) => [`/facts/${f.id}`, `/facts/${f.id}/history`]),
      ...demo.figures.flatMap((f) => [`/figures/${f.id}`, `/figures/${f.id}/history`]),
    ];
    const answers: Record<string, unknown> = {};
    for (const url of urls) {
      const response = await http().get(url);
      answers[url] = { status: response.status, body: response.body };
    }
    return answers;
  }

  /** A rebuild the examples started must be over before the read models are compared. */
  async function rebuildsDone(): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const health = (await http().get('/health')).body as { details?: { projections?: { rebuild?: unknown } } };
      if (!health.details?.projections?.rebuild) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the rebuild started by POST /admin/rebuild did not end within 15 s');
  }

  async function execute(method: string, path: string, operation: Operation): Promise<request.Response> {
    const parameters = operation.parameters ?? [];
    const url = parameters
      .filter((p) => p.in === 'path')
      .reduce((u, p) => {
        if (p.example === undefined) throw new Error(`${method} ${path}: path parameter ${p.name} has no example`);
        return u.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
      }, path);
    const query = Object.fromEntries(parameters.filter((p) => p.in === 'query' && p.example !== undefined).map((p) => [p.name, String(p.example)]));
    let call = (http() as unknown as Record<string, (url: string) => request.Test>)[method](url).query(query);
    for (const header of parameters.filter((p) => p.in === 'header' && p.example !== undefined)) call = call.set(header.name, String(header.example));
    const content = operation.requestBody?.content ?? {};
    const [type, body] = Object.entries(content).find(([, c]) => c.example !== undefined) ?? [];
    if (operation.requestBody?.required && type === undefined) throw new Error(`${method} ${path}: the request body has no example`);
    if (type !== undefined) call = call.set('content-type', type).send(typeof body?.example === 'string' ? body.example : JSON.stringify(body?.example));
    return call;
  }

  it('succeed in document order on a fresh demo store, refuse a repeat cleanly, and leave every demo record as it was', async () => {
    const before = await demoRecords();
    const document = (await http().get('/docs/json').expect(200)).body as { paths: Record<string, Record<string, Operation>> };
    const writes = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => WRITES.includes(method))
        .map(([method, operation]) => ({ key: `${method} ${path}`, method, path, operation })),
    );
    // The writes of the record, of watches and of admin, each there: a new write operation joins this test by itself.
    expect(writes.map((w) => w.key)).toEqual(expect.arrayContaining(['post /facts', 'post /figures/{id}/claims/{claimId}/rank', 'post /watches', 'delete /watches/{id}', 'post /admin/import']));

    for (const [key, { why }] of Object.entries(CANNOT_SUCCEED)) console.log(`${key}: its example is expected to be refused: ${why}`);
    const outcomes: string[] = [];
    for (const { key, method, path, operation } of writes) {
      const response = await execute(method, path, operation);
      const expected = CANNOT_SUCCEED[key];
      // An import answers 200 with what it refused: an example that is refused there has not succeeded either.
      const ok = expected ? response.status === expected.status : response.status >= 200 && response.status < 300 && !(response.body?.rejected > 0);
      outcomes.push(`${key}: ${ok ? 'as expected' : `${response.status} ${response.text.slice(0, 300)}`}`);
    }
    expect(outcomes).toEqual(writes.map((w) => `${w.key}: as expected`));

    // A second Execute of each: a create names its record, so it is refused ("already exists"), never a copy;
    // other refusals say why (a retracted record, a deleted watch's key). A 400 would mean the example itself is bad.
    const repeats: string[] = [];
    for (const { key, method, path, operation } of writes) {
      const response = await execute(method, path, operation);
      const clean = response.status < 300 || ([404, 409, 422].includes(response.status) && typeof response.body?.detail === 'string' && response.body.detail.length > 0);
      repeats.push(`${key}: ${clean || CANNOT_SUCCEED[key] ? 'clean' : `${response.status} ${response.text.slice(0, 300)}`}`);
    }
    expect(repeats).toEqual(writes.map((w) => `${w.key}: clean`));
    const again = await execute('post', '/facts', document.paths['/facts'].post);
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/already exists/);

    await rebuildsDone();
    expect(await demoRecords()).toEqual(before);
    // Nothing else appeared beside the demo's facts and figures but the examples' own records.
    const demoIds = new Set([...demo.facts, ...demo.figures].map((r) => r.id));
    const timeline = (await http().get('/timeline').query({ limit: 500, includeRetracted: 'true' }).expect(200)).body as { items: { id: string }[] };
    const figures = (await http().get('/figures').query({ limit: 500 }).expect(200)).body as { items: { id: string }[] };
    const others = [...timeline.items, ...figures.items].map((r) => r.id).filter((id) => !demoIds.has(id));
    expect(others.filter((id) => !id.startsWith('example-'))).toEqual([]);
    expect(others.length).toBeGreaterThan(0);
  }, 60_000);
});
