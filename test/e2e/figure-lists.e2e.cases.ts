import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { claimBody, figureBody } from '../support/factories';

/**
 * A figure in a list (GET /figures, the timeline's figures) shows at most `claimsLimit` claimants'
 * claims, so a list's answer does not grow with claimants × figures: the spread's two ends always,
 * then the most recently asserted; `claimsMore` counts the others and the spread covers them all.
 * The figure's own answer (GET /figures/:id) shows every claimant.
 */

interface Claim {
  claimant: string;
  low: number;
  high: number;
  assertedOn: string;
}
interface Summary {
  id: string;
  claims: Claim[];
  claimsMore?: number;
  spread: { low: number; high: number } | null;
}

describe('figures in lists', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const figure = figureBody();
  // 15 claimants: the lowest and the highest asserted early, the others month by month from 2017-01 (claimant-14 last).
  const month = (n: number) => `${2017 + Math.floor(n / 12)}-${String(1 + (n % 12)).padStart(2, '0')}`;
  const values = Array.from({ length: 15 }, (_, n) => ({ claimant: `claimant-${String(n).padStart(2, '0')}`, value: 1000 + n * 10, assertedOn: month(n) }));
  values[3] = { claimant: 'lowest', value: 5, assertedOn: '2015-01' };
  values[9] = { claimant: 'highest', value: 90_000, assertedOn: '2015-02' };

  beforeAll(async () => {
    app = await createTestApp();
    await http().post('/figures').send(figure).expect(201);
    for (const v of values) {
      await http()
        .post(`/figures/${figure.id}/claims`)
        .send(claimBody({ claimant: v.claimant, value: { kind: 'exact', value: v.value }, assertedOn: v.assertedOn, period: undefined }))
        .expect(201);
    }
  });
  afterAll(() => app.close());

  const listed = async (query: Record<string, string | number>): Promise<Summary> =>
    ((await http().get('/figures').query(query).expect(200)).body.items as Summary[]).find((f) => f.id === figure.id) as Summary;

  it('shows 10 by default: the spread’s two ends, then the most recently asserted, lowest first; the spread is over all 15', async () => {
    const own = (await http().get(`/figures/${figure.id}`).expect(200)).body as Summary;
    expect(own.claims).toHaveLength(15);
    expect(own.claimsMore).toBeUndefined();
    const summary = await listed({});
    expect(summary.claims).toHaveLength(10);
    expect(summary.claimsMore).toBe(5);
    expect(summary.spread).toEqual(own.spread);
    expect(summary.spread).toMatchObject({ low: 5, high: 90_000 });
    const names = summary.claims.map((c) => c.claimant);
    expect(names).toEqual(expect.arrayContaining(['lowest', 'highest']));
    // The 8 others are the 8 latest assertions among the 13 others.
    const others = own.claims.filter((c) => c.claimant !== 'lowest' && c.claimant !== 'highest');
    const latest = [...others].sort((a, b) => b.assertedOn.localeCompare(a.assertedOn)).slice(0, 8);
    expect(new Set(names.filter((n) => n !== 'lowest' && n !== 'highest'))).toEqual(new Set(latest.map((c) => c.claimant)));
    expect(summary.claims.map((c) => c.low)).toEqual([...summary.claims.map((c) => c.low)].sort((a, b) => a - b));
    // Each claim shown is the same as in the figure's own answer.
    for (const claim of summary.claims) expect(claim).toEqual(own.claims.find((c) => c.claimant === claim.claimant));
  });

  it('takes claimsLimit from 1 to 100', async () => {
    expect((await listed({ claimsLimit: 2 })).claims.map((c) => c.claimant)).toEqual(['lowest', 'highest']);
    expect((await listed({ claimsLimit: 1 })).claims.map((c) => c.claimant)).toEqual(['lowest']);
    const all = await listed({ claimsLimit: 100 });
    expect(all.claims).toHaveLength(15);
    expect(all.claimsMore).toBe(0);
    for (const bad of ['0', '101', 'ten']) {
      const { body } = await http().get('/figures').query({ claimsLimit: bad }).expect(400);
      expect(body.errors.map((e: { field: string }) => e.field)).toEqual(['claimsLimit']);
    }
  });

  it('bounds the timeline’s figures the same way', async () => {
    const { body } = await http().get('/timeline').query({ asOf: '2019-01-01' }).expect(200);
    const summary = (body.figures as Summary[]).find((f) => f.id === figure.id) as Summary;
    expect(summary.claims).toHaveLength(10);
    expect(summary.claimsMore).toBe(5);
    expect(summary.claims).toEqual((await listed({ asOf: '2019-01-01' })).claims);
  });
});
