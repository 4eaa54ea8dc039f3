import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { importDemoData } from '../../src/demo/demo-data';
import { EventsController } from '../../src/subscriptions/events.controller';
import { createTestApp } from '../support/app';

/**
 * The page as a story: revision charts, the zoomable timeline, live updates from /events, writing
 * from the page, and the phone layout, on the real app with the demo data in Debian's Chromium.
 * The charts are canvas and SVG; the checks read the data the page puts beside them (a table with
 * data-* attributes), never pixels. `ANNALS_SCREENSHOTS=docs` writes the README's screenshots.
 */

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const TIMEOUT = 60_000;
const SHOTS = process.env.ANNALS_SCREENSHOTS === 'docs' ? join(__dirname, '..', '..', 'docs') : join(tmpdir(), 'annals-screenshots');
const CASUALTIES = 'civilians-killed-by-coalition-strikes';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface ClaimValue {
  kind: 'exact' | 'range' | 'bound';
  value?: number;
  min?: number;
  max?: number;
}
interface HistoryEntry {
  kind: string;
  claimId: string;
  assertedOn: string;
  value: ClaimValue;
  recordedAt: string;
}
interface FigureAnswer {
  id: string;
  name: string;
  history: Record<string, HistoryEntry[]>;
  claims: { claimId: string; claimant: string; recordedAt: string; value: ClaimValue }[];
}

const source = { publisher: 'Test desk', title: 'A report', url: 'https://example.org/report', publishedOn: '2019-06-01' };
const low = (v: ClaimValue) => (v.kind === 'range' ? v.min : v.value);
const high = (v: ClaimValue) => (v.kind === 'range' ? v.max : v.value);

/** Runs in the page (this tsconfig has no DOM types): how far an element's content overflows it. */
function overflow(node: unknown): number {
  const e = node as { scrollWidth: number; clientWidth: number };
  return e.scrollWidth - e.clientWidth;
}

(HAS_CHROMIUM ? describe : describe.skip)(`${HAS_CHROMIUM ? '' : '[skipped: no Chromium at /usr/bin/chromium] '}the page's charts, live updates and phone layout`, () => {
  let app: NestFastifyApplication;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const pageErrors: string[] = [];

  const api = async <T>(path: string): Promise<T> => (await app.inject({ method: 'GET', url: path })).json<T>();
  const post = async (url: string, payload: object, headers: Record<string, string> = {}) => {
    const response = await app.inject({ method: 'POST', url, payload, headers });
    if (response.statusCode >= 300) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return response.json<{ id: string; revision: string }>();
  };

  async function listen(target: NestFastifyApplication): Promise<string> {
    await target.listen(0, '127.0.0.1');
    const address = target.getHttpServer().address();
    if (address === null || typeof address === 'string') throw new Error('the test server has no TCP address');
    return `http://127.0.0.1:${address.port}`;
  }

  async function open(path = '/'): Promise<void> {
    await page.goto(`${base}${path}`);
    await page.locator('#status').filter({ hasText: /^Showing|refused/ }).waitFor();
    await page.locator(`.revision-chart[data-figure-id="${CASUALTIES}"]`).waitFor();
  }

  beforeAll(async () => {
    app = await createTestApp();
    await importDemoData(app);
    base = await listen(app);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (message) => {
      // The editor tests make the API answer 400 and 412 on purpose; Chromium logs each such response.
      if (message.type() === 'error' && !/status of 4(00|12)/.test(message.text())) pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    mkdirSync(SHOTS, { recursive: true });
  }, TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  it(
    'charts the casualty figure with one line per claimant, each claim at its date and value',
    async () => {
      await open();
      const figure = await api<FigureAnswer>(`/figures/${CASUALTIES}`);
      const chart = page.locator(`.revision-chart[data-figure-id="${CASUALTIES}"]`);
      await chart.locator('canvas').first().waitFor();
      const claimants = Object.keys(figure.history);
      expect(claimants).toHaveLength(2);
      expect(await chart.locator('.chart-legend [data-claimant]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-claimant')))).toEqual(claimants);

      const rows = await chart.locator('.chart-data tbody tr').evaluateAll((nodes) =>
        nodes.map((n) => ({
          claimant: n.getAttribute('data-claimant'),
          assertedOn: n.getAttribute('data-asserted-on'),
          low: Number(n.getAttribute('data-low')),
          high: Number(n.getAttribute('data-high')),
        })),
      );
      const expected = claimants.flatMap((claimant) =>
        figure.history[claimant]
          .filter((entry) => entry.kind === 'asserted' || entry.kind === 'revised')
          .map((entry) => ({ claimant, assertedOn: entry.assertedOn, low: low(entry.value), high: high(entry.value) })),
      );
      expect(rows).toEqual(expected);
      // The two claimants' latest numbers, as the demo data has them: the coalition's 1,257 and Airwars' 7,595.
      expect(rows).toContainEqual({ claimant: 'US-led coalition (CJTF-OIR)', assertedOn: '2019-03-28', low: 1257, high: 1257 });
      expect(rows).toContainEqual({ claimant: 'Airwars', assertedOn: '[2019-03-28..2019-03-31]', low: 7595, high: 7595 });
      await page.screenshot({ path: join(SHOTS, 'ui-desktop.png') });
    },
    TIMEOUT,
  );

  it(
    'puts the figures above the fold on a phone, folds the filters away and keeps every control thumb-sized',
    async () => {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
      const small = await phone.newPage();
      try {
        await small.goto(`${base}/`);
        await small.locator(`.revision-chart[data-figure-id="${CASUALTIES}"] canvas`).first().waitFor();
        expect(await small.locator('#controls').evaluate((details) => (details as unknown as { open: boolean }).open)).toBe(false);
        const chart = await small.locator(`.revision-chart[data-figure-id="${CASUALTIES}"] .chart-canvas`).boundingBox();
        if (!chart) throw new Error('the chart has no box');
        expect(chart.y + chart.height).toBeLessThanOrEqual(844);
        expect(await small.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        await small.screenshot({ path: join(SHOTS, 'ui-phone.png') });
        // Every control, the folded ones too: a checkbox counts with its label, which is its target.
        await small.locator('#controls > summary').click();
        await small.locator('#editor > summary').click();
        const tooSmall = await small.locator('button:visible, summary:visible, select:visible, input:visible, textarea:visible').evaluateAll((nodes) =>
          nodes
            .map((n) => ({
              name: n.textContent?.trim() || n.getAttribute('name') || n.id,
              height: (n.getAttribute('type') === 'checkbox' ? (n.closest('.field-check') ?? n) : n).getBoundingClientRect().height,
            }))
            .filter((n) => n.height < 44),
        );
        expect(tooSmall).toEqual([]);
      } finally {
        await phone.close();
      }
    },
    TIMEOUT,
  );

  it(
    'puts the asOf cursor on the chart with the spread on that day',
    async () => {
      await open('/?asOf=2018-06-01');
      const spread = page.locator(`.revision-chart[data-figure-id="${CASUALTIES}"] .chart-spread`);
      await expect(spread.getAttribute('data-as-of')).resolves.toBe('2018-06-01');
      // On 2018-06-01 the coalition had said at least 484, Airwars more than 3,200.
      await expect(spread.getAttribute('data-low')).resolves.toBe('484');
      await expect(spread.getAttribute('data-high')).resolves.toBe('3200');
      await expect(spread.textContent()).resolves.toContain('484 to 3,200');
    },
    TIMEOUT,
  );

  it(
    'shows a claim and a fact posted through the API without a reload, marked as new',
    async () => {
      await open();
      await page.locator('#live[data-state="live"]').waitFor();
      await page.evaluate(() => Object.assign(globalThis, { annalsNoReload: true }));
      await post(`/figures/${CASUALTIES}/claims`, { id: 'airwars-live-test', claimant: 'Airwars', value: { kind: 'exact', value: 8106 }, assertedOn: '2019-06-01', sources: [source] });
      const row = page.locator(`#card-${CASUALTIES} .claims tr.is-new[data-claim-id="airwars-live-test"]`);
      await row.waitFor();
      await expect(row.textContent()).resolves.toContain('8,106');
      await expect(row.textContent()).resolves.toContain('New');
      const point = page.locator(`#card-${CASUALTIES} .chart-data tr[data-claim-id="airwars-live-test"]`);
      await expect(point.getAttribute('data-low')).resolves.toBe('8106');

      await post('/facts', { id: 'live-test-fact', title: 'A fact recorded while the page is open', summary: '', tags: [], entities: [], sources: [source], validTime: { at: '2019-06-01' } });
      await page.locator('.fact.is-new[data-fact-id="live-test-fact"]').waitFor();
      await page.locator('.timeline-chart .mark[data-fact-id="live-test-fact"]').waitFor();
      expect(await page.evaluate(() => (globalThis as unknown as { annalsNoReload?: boolean }).annalsNoReload)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'says when the event stream drops and when it is back, and misses nothing recorded in between',
    async () => {
      const reader = await context.newPage();
      let connections = 0;
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      // The reconnection waits until a claim has been recorded while the page was cut off.
      await reader.route('**/events*', async (route) => {
        connections++;
        if (connections > 1) await held;
        await route.continue();
      });
      try {
        await reader.goto(`${base}/`);
        await reader.locator('#live[data-state="live"]').waitFor();
        // An event seen before the drop gives the browser a Last-Event-ID to resume from.
        await post('/facts', { id: 'before-the-drop', title: 'Recorded before the drop', summary: '', tags: [], entities: [], sources: [source], validTime: { at: '2019-06-02' } });
        await reader.locator('.fact[data-fact-id="before-the-drop"]').waitFor();
        // The server ends every open stream, as a restart or a proxy timeout would.
        app.get(EventsController).beforeApplicationShutdown();
        await reader.locator('#live[data-state="reconnecting"]').waitFor();
        await expect(reader.locator('#live-text').textContent()).resolves.toMatch(/Disconnected/);
        await post(`/figures/${CASUALTIES}/claims`, { id: 'recorded-in-the-gap', claimant: 'Airwars', value: { kind: 'exact', value: 8200 }, assertedOn: '2019-06-02', sources: [source] });
        release();
        await reader.locator('#live[data-state="back"]').waitFor();
        await expect(reader.locator('#live-text').textContent()).resolves.toBe('Live again');
        // Resumed after the last event seen (Last-Event-ID), so the claim made in the gap arrives too.
        await reader.locator(`#card-${CASUALTIES} .claims tr.is-new[data-claim-id="recorded-in-the-gap"]`).waitFor();
        expect(connections).toBe(2);
      } finally {
        release();
        await reader.close();
      }
    },
    TIMEOUT,
  );

  it(
    'keeps the milliseconds of an "as known at" instant copied from the API',
    async () => {
      const figure = await api<FigureAnswer>(`/figures/${CASUALTIES}`);
      const coalition = figure.claims.find((claim) => claim.claimant === 'US-led coalition (CJTF-OIR)');
      if (!coalition) throw new Error('the demo data has no coalition claim');
      const instant = coalition.recordedAt;
      expect(instant).toMatch(/\.\d{3}Z$/);
      await open();
      await page.locator('#controls > summary').isVisible();
      await page.locator('#knownAt').fill(instant);
      await page.locator('#knownAt').press('Enter');
      await page.waitForURL((url) => url.searchParams.get('knownAt') === instant);
      await page.locator('#status').filter({ hasText: /^Showing/ }).waitFor();
      await expect(page.locator('#knownAt').inputValue()).resolves.toBe(instant);
      // The claim recorded at exactly that instant is part of the record as it stood then.
      await expect(page.locator(`#card-${CASUALTIES} .claims tr[data-claim-id="${coalition.claimId}"]`).count()).resolves.toBe(1);
      // The chart is redrawn as the record stood then: the points the API had at that instant, no later ones.
      const then = await api<FigureAnswer>(`/figures/${CASUALTIES}?knownAt=${encodeURIComponent(instant)}`);
      const expectedIds = Object.values(then.history).flatMap((entries) => entries.filter((e) => e.kind === 'asserted' || e.kind === 'revised').map((e) => e.claimId));
      expect(expectedIds.length).toBeLessThan(Object.values(figure.history).flat().length);
      const chartIds = await page.locator(`#card-${CASUALTIES} .chart-data tbody tr`).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-claim-id')));
      expect(chartIds).toEqual(expectedIds);
      // After a reload the field shows the same text, milliseconds and all.
      await page.reload();
      await page.locator('#status').filter({ hasText: /^Showing/ }).waitFor();
      await expect(page.locator('#knownAt').inputValue()).resolves.toBe(instant);

      await page.locator('#knownAt').fill('2026-13-01T00:00');
      await page.locator('#knownAt').press('Enter');
      await expect(page.locator('#knownAt-error').textContent()).resolves.toContain('YYYY-MM-DDTHH:MM:SS.sssZ');
      await expect(page.locator('#knownAt').getAttribute('aria-invalid')).resolves.toBe('true');
    },
    TIMEOUT,
  );

  it(
    'zooms the timeline of facts and opens a fact with its sources on click',
    async () => {
      await open();
      const chart = page.locator('.timeline-chart');
      const span = async () => {
        const [from, to] = await Promise.all([chart.getAttribute('data-from'), chart.getAttribute('data-to')]);
        return Date.parse(String(to)) - Date.parse(String(from));
      };
      const whole = await span();
      await chart.getByRole('button', { name: 'Zoom in' }).click();
      expect(await span()).toBeLessThan(whole * 0.6);
      await chart.getByRole('button', { name: 'All' }).click();
      expect(await span()).toBe(whole);
      // A tenure is a bar, an event a dot.
      await expect(chart.locator('.mark-interval').count()).resolves.toBeGreaterThanOrEqual(2);
      await expect(chart.locator('.mark-point').count()).resolves.toBeGreaterThanOrEqual(4);
      await chart.locator('.mark', { hasText: 'Joseph Votel' }).click();
      const detail = page.locator('#timeline-detail');
      await detail.waitFor();
      await expect(detail.locator('.fact-title').textContent()).resolves.toContain('Joseph Votel');
      expect(await detail.locator('.sources a').count()).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'formats very large, tiny, fractional and zero values without overflow, and wraps a long title',
    async () => {
      const long = 'A figure whose name runs on and on '.repeat(8).trim();
      await post('/figures', { id: 'odd-numbers', name: long, unit: 'things', scope: { places: [] } });
      // 1e12 is the largest number the API takes (a larger one is a slip, not a claim).
      const values = [1e12, 123_456_789_012, 0.000012, 2.5, 0];
      for (const [i, value] of values.entries()) {
        await post('/figures/odd-numbers/claims', { claimant: `Claimant ${i}`, value: { kind: 'exact', value }, assertedOn: `2019-0${i + 1}-01`, sources: [source] });
      }
      await open();
      const card = page.locator('#card-odd-numbers');
      await card.locator('.revision-chart canvas').first().waitFor();
      const text = await card.locator('.claims').textContent();
      expect(text).toContain('1 trillion');
      expect(text).toContain('123 billion');
      expect(text).toContain('1.2E-5');
      expect(text).toContain('2.5');
      expect(await card.evaluate(overflow)).toBeLessThanOrEqual(0);
      expect(await card.locator('.figure-name').evaluate(overflow)).toBeLessThanOrEqual(0);
      expect(await page.locator('#figure-list').evaluate(overflow)).toBeLessThanOrEqual(0);
    },
    TIMEOUT,
  );

  it(
    'shows the API’s reason next to the field, and explains an If-Match conflict with the other change',
    async () => {
      await open();
      await page.locator('#editor > summary').click();
      const form = page.locator('#assert-claim');
      await form.locator('[name="claimant"]').fill('Airwars');
      await form.locator('[name="assertedOn"]').fill('2019-02-30');
      await form.locator('[name="value.value"]').fill('9000');
      await form.locator('[name="sources[0].publisher"]').fill('Airwars');
      await form.locator('[name="sources[0].title"]').fill('A report');
      await form.locator('[name="sources[0].url"]').fill('https://airwars.org/');
      await form.getByRole('button', { name: 'Assert' }).click();
      const error = form.locator('[name="assertedOn"] + .field-error');
      await error.waitFor();
      await expect(error.textContent()).resolves.toMatch(/assertedOn/);

      const fact = 'baghouz-cleared';
      const exists = await app.inject({ method: 'GET', url: `/facts/${fact}` });
      const target = exists.statusCode === 200 ? fact : (await api<{ items: { id: string }[] }>('/timeline?limit=1')).items[0].id;
      await page.locator(`.fact[data-fact-id="${target}"] [data-edit-kind="correct"]`).click();
      const dialog = page.locator('#edit-dialog');
      await dialog.locator('[name="changes.title"]').waitFor();
      // Meanwhile someone else corrects it.
      const current = (await app.inject({ method: 'GET', url: `/facts/${target}` })).headers.etag as string;
      await post(`/facts/${target}/corrections`, { reason: 'a colleague fixed the date precision', changes: { summary: 'Changed by a colleague.' } }, { 'if-match': current });
      await dialog.locator('[name="changes.title"]').fill('My better title');
      await dialog.locator('[name="reason"]').fill('clearer title');
      await dialog.getByRole('button', { name: 'Correct' }).click();
      const problem = dialog.locator('.form-problem');
      await problem.filter({ hasText: 'Someone changed this since you opened it' }).waitFor();
      await expect(problem.textContent()).resolves.toContain('a colleague fixed the date precision');
      await expect(problem.textContent()).resolves.toContain('Changed by a colleague.');
      await problem.getByRole('button', { name: /Send mine on top/ }).click();
      await dialog.locator('.form-done').filter({ hasText: 'Corrected' }).waitFor();
      await page.locator('#edit-close').click();
    },
    TIMEOUT,
  );

  it(
    'tells a reader of an empty store how to start',
    async () => {
      const empty = await createTestApp();
      try {
        const url = await listen(empty);
        const fresh = await context.newPage();
        await fresh.goto(`${url}/`);
        await fresh.locator('#getting-started').waitFor();
        await expect(fresh.locator('#getting-started').textContent()).resolves.toContain('POST');
        await fresh.close();
      } finally {
        await empty.close();
      }
    },
    TIMEOUT,
  );
});
