import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';

/**
 * The web UI as a reader uses it: the real app with the demo data, driven in Debian's Chromium.
 * Without Chromium the browser suite is skipped under a title that says so (CI installs it with
 * .ci/install-test-tools.sh); the HTTP checks of the page's files run either way.
 */

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOT = '/tmp/annals-ui.png';
const TIMEOUT = 60_000;

interface ClaimValue {
  kind: 'exact' | 'range' | 'bound';
  value?: number;
  min?: number;
  max?: number;
  qualifier?: string;
}
interface Claim {
  claimant: string;
  value: ClaimValue;
}
interface Figure {
  id: string;
  name: string;
  claims: Claim[];
  history: Record<string, unknown[]>;
}
interface Fact {
  id: string;
  title: string;
  kind: 'event' | 'state';
  entities: { name: string }[];
}

/** Runs in the page: whether this element has the focus (this tsconfig has no DOM types). */
function hasFocus(node: unknown): boolean {
  return node === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement;
}

/** The wording the page must show: the number as the source gave it. */
function worded(value: ClaimValue): string {
  const n = (x: number | undefined) => new Intl.NumberFormat('en-GB').format(x ?? NaN);
  if (value.kind === 'range') return `${n(value.min)}–${n(value.max)}`;
  if (value.kind === 'bound') return `${(value.qualifier ?? '').replace('_', ' ')} ${n(value.value)}`;
  return n(value.value);
}

describe('web UI files over HTTP', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves the page at / with a strict content security policy', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.body).toContain('<script src="/ui/annals.js" defer></script>');
    expect(response.body).toContain('<link rel="stylesheet" href="/ui/annals.css">');
  });

  it('serves the script and the stylesheet with their types, and 304 when unchanged', async () => {
    const script = await app.inject({ method: 'GET', url: '/ui/annals.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const style = await app.inject({ method: 'GET', url: '/ui/annals.css' });
    expect(style.statusCode).toBe(200);
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    const again = await app.inject({ method: 'GET', url: '/ui/annals.js', headers: { 'if-none-match': String(script.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves no other file', async () => {
    for (const url of ['/ui/../ui.controller.ts', '/ui/index.html', '/ui/%2e%2e/ui.module.ts', '/ui/']) {
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(404);
    }
  });

  it('is not in the OpenAPI document', async () => {
    const openApi = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(openApi.paths)).not.toContain('/');
    expect(Object.keys(openApi.paths).some((path) => path.startsWith('/ui'))).toBe(false);
  });
});

const describeInBrowser = HAS_CHROMIUM ? describe : describe.skip;
if (!HAS_CHROMIUM) {
  console.warn(`web UI browser tests skipped: Chromium not installed at ${CHROMIUM}; .ci/install-test-tools.sh installs it`);
}

describeInBrowser(HAS_CHROMIUM ? 'web UI in Chromium' : 'skipped: Chromium not installed; .ci/install-test-tools.sh installs it', () => {
  let app: NestFastifyApplication;
  let browser: Browser;
  let page: Page;
  let base: string;
  /** Console errors and uncaught exceptions (a CSP violation shows up here too). */
  const pageErrors: string[] = [];

  const api = async <T>(path: string): Promise<T> => (await app.inject({ method: 'GET', url: path })).json<T>();

  beforeAll(async () => {
    app = await createTestApp();
    await importDemoData(app);
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    if (address === null || typeof address === 'string') throw new Error('the test server has no TCP address');
    base = `http://127.0.0.1:${address.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      // The problem tests make the API answer 400 on purpose; Chromium logs each such response.
      if (message.type() === 'error' && !/status of 400/.test(message.text())) pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  }, TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  async function open(path = '/'): Promise<void> {
    await page.goto(`${base}${path}`);
    await page.locator('#status').filter({ hasText: /^Showing|refused/ }).waitFor();
  }

  it(
    'shows the timeline in valid-time order, each date with the precision it was given',
    async () => {
      await open();
      const { items } = await api<{ items: Fact[] }>('/timeline?limit=20');
      const titles = await page.locator('#facts .fact-title').allTextContents();
      expect(titles).toEqual(items.map((fact) => fact.title));

      const votel = page.locator('#facts > li', { hasText: 'Joseph Votel' }).first();
      await expect(votel.locator('.fact-date').textContent()).resolves.toContain('2016-03-30 – 2019-03-28');
      const mckenzie = page.locator('#facts > li', { hasText: 'Kenneth McKenzie' }).first();
      await expect(mckenzie.locator('.fact-date').textContent()).resolves.toContain('2019-03-28 – present');
      // Sources are links to the source itself.
      const firstSource = page.locator('#facts .sources a').first();
      expect(await firstSource.getAttribute('href')).toMatch(/^https?:\/\//);
      expect(await page.locator('#in-effect').isHidden()).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'sets "as of" 2017-06-01 with the keyboard and shows Votel in command that day',
    async () => {
      await open();
      await page.locator('#asOf').fill('2017-06-01');
      // Enter in a filter submits the form, as in any form.
      await page.locator('#text').press('Enter');
      await page.waitForURL(/asOf=2017-06-01/);
      await page.locator('#in-effect').waitFor();
      const inEffect = await page.locator('#in-effect').textContent();
      expect(inEffect).toContain('In effect on 2017-06-01');
      expect(inEffect).toContain('Joseph Votel');
      expect(inEffect).toContain('2016-03-30 – 2019-03-28');
      expect(inEffect).not.toContain('McKenzie');

      // The figures block is the one the timeline answered with for that day.
      const world = await api<{ figures: Figure[] }>('/timeline?asOf=2017-06-01&limit=20');
      const shown = await page.locator('#figure-list .figure-name').allTextContents();
      expect(shown).toEqual(world.figures.map((figure) => figure.name));
      const claimants = await page.locator('#figure-list .claims tbody th').allTextContents();
      const expected = world.figures.flatMap((figure) => figure.claims.map((claim) => claim.claimant));
      expect(claimants.length).toBe(expected.length);
      expected.forEach((claimant, i) => expect(claimants[i]).toContain(claimant));
    },
    TIMEOUT,
  );

  it(
    'opens a disputed figure: both claimants side by side, worded as they said it, and each one’s revisions',
    async () => {
      await open();
      const { items } = await api<{ items: Omit<Figure, 'history'>[] }>('/figures');
      const disputed = items.find((f) => f.claims.length >= 2);
      if (!disputed) throw new Error('the demo data has no figure with two claimants');
      const figure = await api<Figure>(`/figures/${disputed.id}`);
      const card = page.locator('#figure-list .figure', { has: page.getByRole('heading', { name: figure.name }) });

      const rows = card.locator('.claims tbody tr');
      await expect(rows.count()).resolves.toBe(figure.claims.length);
      for (const [i, claim] of figure.claims.entries()) {
        await expect(rows.nth(i).locator('th').textContent()).resolves.toContain(claim.claimant);
        await expect(rows.nth(i).locator('.claim-value').textContent()).resolves.toBe(worded(claim.value));
      }
      await expect(card.locator('.spread').textContent()).resolves.toMatch(/Spread.*×/);

      await card.locator('.figure-history > summary').click();
      const histories = card.locator('.claimant-history h4');
      await histories.first().waitFor();
      const names = await histories.allTextContents();
      expect(names.sort()).toEqual(Object.keys(figure.history).sort());
      for (const claim of figure.claims) expect(names).toContain(claim.claimant);
    },
    TIMEOUT,
  );

  it(
    'opens a fact’s history with the keyboard, and Escape gives the focus back',
    async () => {
      await open();
      const button = page.locator('#facts > li', { hasText: 'Joseph Votel' }).first().locator('button[data-history]');
      await button.focus();
      await page.keyboard.press('Enter');
      const dialog = page.locator('#history');
      await dialog.locator('.version').first().waitFor();
      const text = await dialog.textContent();
      expect(text).toContain('Recorded');
      expect(text).toContain('annals-demo-import');
      expect(text).toContain('In force now');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      expect(await button.evaluate(hasFocus)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'takes a screenshot of the page on the day the command changed hands',
    async () => {
      await open('/?asOf=2019-03-28');
      await page.locator('#figure-list .figure-history > summary').first().click();
      await page.locator('#figure-list .claimant-history').first().waitFor();
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      const inEffect = await page.locator('#in-effect').textContent();
      // Both ends of a tenure are inclusive: on the handover day both generals hold command.
      expect(inEffect).toContain('Joseph Votel');
      expect(inEffect).toContain('Kenneth McKenzie');
    },
    TIMEOUT,
  );

  it(
    'shows a long revision history a page at a time, every revision once after “Load more revisions”',
    async () => {
      const post = async (url: string, payload: object) =>
        expect((await app.inject({ method: 'POST', url, headers: { 'x-actor': 'browser-test' }, payload })).statusCode).toBe(201);
      await post('/figures', { id: 'ui-long-history', name: 'A monthly series, recorded for years', unit: 'people', scope: { places: ['Mosul'] } });
      const months = Array.from({ length: 45 }, (_, i) => `${2015 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
      for (const [i, assertedOn] of months.entries()) {
        await post('/figures/ui-long-history/claims', {
          id: `ui-long-${i}`,
          claimant: i % 3 === 0 ? 'Airwars' : 'Monitor',
          value: { kind: 'exact', value: 100 + i },
          assertedOn,
          sources: [{ publisher: 'Monitor', title: `Month ${assertedOn}`, url: 'https://example.org/monthly', publishedOn: assertedOn }],
        });
      }
      const first = await api<{ historyNext: string | null }>('/figures/ui-long-history');
      expect(first.historyNext).not.toBeNull();

      await open();
      const card = page.locator('#figure-list .figure', { has: page.getByRole('heading', { name: 'A monthly series, recorded for years' }) });
      await card.locator('.figure-history > summary').click();
      await card.locator('.claimant-history').first().waitFor();
      const more = card.locator('.load-more-revisions');
      for (let pages = 0; (await more.count()) > 0 && pages < 10; pages++) {
        const shown = await card.locator('.revision').count();
        await more.click();
        await card.locator('.revision').nth(shown).waitFor();
      }
      expect(await more.count()).toBe(0);
      expect(await card.locator('.revision').count()).toBe(months.length);
      const names = await card.locator('.claimant-history h4').allTextContents();
      expect(names).toEqual(['Airwars', 'Monitor']);
    },
    TIMEOUT,
  );

  it(
    'shows every claimant of a figure whose list entry holds only some of them',
    async () => {
      const post = async (url: string, payload: object) =>
        expect((await app.inject({ method: 'POST', url, headers: { 'x-actor': 'browser-test' }, payload })).statusCode).toBe(201);
      await post('/figures', { id: 'ui-many-claimants', name: 'A figure fourteen monitors count', unit: 'people', scope: { places: ['Raqqa'] } });
      for (let i = 0; i < 14; i++) {
        await post('/figures/ui-many-claimants/claims', {
          id: `ui-many-${i}`,
          claimant: `Monitor ${String(i).padStart(2, '0')}`,
          value: { kind: 'exact', value: 100 + i * 7 },
          assertedOn: `2018-0${1 + (i % 9)}`,
          sources: [{ publisher: `Monitor ${i}`, title: 'Count', url: 'https://example.org/count', publishedOn: '2018' }],
        });
      }
      const listed = await api<{ items: { id: string; claims: unknown[]; claimsMore: number }[] }>('/figures?limit=100');
      const entry = listed.items.find((f) => f.id === 'ui-many-claimants');
      expect([entry?.claims.length, entry?.claimsMore]).toEqual([10, 4]);

      await open();
      const card = page.locator('#figure-list .figure', { has: page.getByRole('heading', { name: 'A figure fourteen monitors count' }) });
      // The list's 10 rows give way to the figure's own 14 once its answer arrives.
      await card.locator('table.claims tbody tr').nth(13).waitFor();
      await expect(card.locator('table.claims tbody tr').count()).resolves.toBe(14);
      await expect(card.locator('.claims-more').count()).resolves.toBe(0);
    },
    TIMEOUT,
  );

  it(
    'shows the text of the data as text, never as markup, and a correction as old beside new',
    async () => {
      const title = 'Probe <img src=x onerror="window.annalsProbe=1"> <b>not bold</b>';
      const recorded = await app.inject({
        method: 'POST',
        url: '/facts',
        headers: { 'x-actor': 'browser-test' },
        payload: {
          id: 'ui-escape-probe',
          title,
          summary: '<script>window.annalsProbe=2</script> escape-probe',
          tags: ['<i>tag</i>'],
          entities: [{ type: 'person', name: '<u>someone</u>' }],
          sources: [{ publisher: 'Probe <em>', title: 'javascript-free', url: 'https://example.org/<probe>', publishedOn: '2020' }],
          validTime: { at: '2020' },
        },
      });
      expect(recorded.statusCode).toBe(201);
      const corrected = await app.inject({
        method: 'POST',
        url: '/facts/ui-escape-probe/corrections',
        headers: { 'x-actor': 'browser-test' },
        payload: { reason: 'the <year> was wrong', changes: { validTime: { at: '2020-05' } } },
      });
      expect(corrected.statusCode).toBe(200);

      await open('/?text=escape-probe');
      const fact = page.locator('#facts > li').first();
      await expect(fact.locator('.fact-title').textContent()).resolves.toBe(title);
      await expect(fact.locator('.fact-summary').textContent()).resolves.toBe('<script>window.annalsProbe=2</script> escape-probe');
      expect(await page.locator('#facts img, #facts b, #facts script, #facts em, #facts u, #facts i').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { annalsProbe?: number }).annalsProbe)).toBeUndefined();
      await expect(fact.locator('.fact-date').textContent()).resolves.toContain('2020-05');

      await fact.locator('button[data-history]').click();
      const dialog = page.locator('#history');
      await dialog.locator('.version').nth(1).waitFor();
      const second = dialog.locator('.version').nth(1);
      await expect(second.textContent()).resolves.toContain('Reason: “the <year> was wrong”');
      await expect(second.locator('del').textContent()).resolves.toContain('2020');
      await expect(second.locator('ins').textContent()).resolves.toContain('2020-05');
      await page.keyboard.press('Escape');
    },
    TIMEOUT,
  );

  it(
    'shows the API’s problem plainly: title, detail and each field with its reason',
    async () => {
      // Whatever the API's wording, the page shows its problem as it came: title, detail, field: reason.
      for (const query of ['asOf=2017-02-30', 'knownAt=yesterday']) {
        const answer = await app.inject({ method: 'GET', url: `/timeline?${query}&limit=20` });
        expect(answer.statusCode).toBe(400);
        const expected = answer.json<{ title: string; detail: string; errors?: { field: string; reason: string }[] }>();
        await open(`/?${query}`);
        const problem = page.locator('#problem');
        await problem.waitFor();
        expect(await problem.getAttribute('role')).toBe('alert');
        await expect(problem.locator('.problem-title').textContent()).resolves.toBe(expected.title);
        await expect(problem.locator('.problem-detail').textContent()).resolves.toBe(expected.detail);
        expect(await problem.locator('.problem-errors li').allTextContents()).toEqual(
          (expected.errors ?? []).map((e) => `${e.field}: ${e.reason}`),
        );
        await expect(problem.locator('.problem-code').textContent()).resolves.toContain('HTTP 400');
        expect(await page.locator('#facts > li').count()).toBe(0);
      }
    },
    TIMEOUT,
  );

  it(
    'loads more facts with the cursor, and filters by a tag chip',
    async () => {
      const all = await api<{ items: Fact[] }>('/timeline?limit=500');
      expect(all.items.length).toBeGreaterThan(3);
      // Pages of three (a page size can be linked) so that the demo needs several.
      await open('/?limit=3');
      expect(await page.locator('#facts > li').count()).toBe(3);
      const more = page.locator('#load-more');
      while (await more.isVisible()) {
        const before = await page.locator('#facts > li').count();
        await more.click();
        await page.locator(`#facts > li >> nth=${before}`).waitFor();
        // The focus moves to the first new fact, where a keyboard reader goes on reading.
        expect(await page.locator(`#facts > li >> nth=${before}`).locator('h3').evaluate(hasFocus)).toBe(true);
      }
      expect(await page.locator('#facts .fact-title').allTextContents()).toEqual(all.items.map((f) => f.title));

      const chip = page.locator('#facts .chip-tag').first();
      const tag = (await chip.getAttribute('data-tag')) ?? '';
      await chip.click();
      await page.waitForURL(new RegExp(`tag=${encodeURIComponent(tag)}`));
      await page.locator('#status').filter({ hasText: /^Showing/ }).waitFor();
      const tagged = await api<{ items: Fact[] }>(`/timeline?limit=3&tag=${encodeURIComponent(tag)}`);
      expect(await page.locator('#facts .fact-title').allTextContents()).toEqual(tagged.items.map((f) => f.title));
      expect(await page.locator('#tag').inputValue()).toBe(tag);
    },
    TIMEOUT,
  );
});
