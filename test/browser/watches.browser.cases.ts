import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';

/**
 * The page's watches (src/ui/client/watches.ts, in the page's one bundle): a reader watches the figure a card shows, as of
 * the page's day, and the card is marked when a correction changes that answer. Skipped, saying
 * so, without Chromium (.ci/install-test-tools.sh installs it).
 */
const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const TIMEOUT = 60_000;
const DEATHS = 'civilians-killed-by-coalition-strikes';

describe('the watches code over HTTP', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('is part of the one bundle of the page: no hand-written script beside it', async () => {
    const script = await app.inject({ method: 'GET', url: '/ui/annals.js' });
    expect(script.body).toContain('Watch this answer');
    const page = (await app.inject({ method: 'GET', url: '/' })).body;
    expect(page.match(/<script /g)).toHaveLength(1);
    expect((await app.inject({ method: 'GET', url: '/ui/watches.js' })).statusCode).toBe(404);
  });
});

const describeInBrowser = HAS_CHROMIUM ? describe : describe.skip;

describeInBrowser(HAS_CHROMIUM ? 'watching a figure from the page in Chromium' : 'skipped: Chromium not installed; .ci/install-test-tools.sh installs it', () => {
  let app: NestFastifyApplication;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await createTestApp();
    await importDemoData(app);
    await app.listen(0, '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
  }, TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it(
    'marks the card when a correction changes the answer it watches, and stops watching',
    async () => {
      await page.goto(`${await app.getUrl()}/?asOf=2019-03-28`);
      const card = page.locator('article.figure', { has: page.locator(`h3#figure-${DEATHS}`) });
      await card.getByRole('button', { name: 'Watch this answer' }).click();
      await card.locator('.watch-status', { hasText: 'Watching the answer as of 2019-03-28' }).waitFor();
      const { body } = await request(app.getHttpServer()).get('/watches').expect(200);
      expect(body.items).toEqual([expect.objectContaining({ question: { kind: 'figure', figureId: DEATHS, asOf: '2019-03-28' } })]);

      await request(app.getHttpServer())
        .post(`/figures/${DEATHS}/claims/cjtf-oir-civilian-deaths-2019-03/corrections`)
        .send({ reason: 'the report says 1,259', changes: { value: { kind: 'bound', qualifier: 'at_least', value: 1259 } } })
        .expect(200);
      await card.locator('.watch-status', { hasText: /has changed since you began watching it: .*the report says 1,259/ }).waitFor();
      expect(await card.getAttribute('class')).toContain('watch-changed');

      // Marked again after a reload (the notice is kept), until it is marked as seen.
      await page.reload();
      await card.locator('.watch-status', { hasText: 'has changed' }).waitFor();
      await card.getByRole('button', { name: 'Mark as seen' }).click();
      await card.locator('.watch-status', { hasText: 'Watching the answer as of 2019-03-28' }).waitFor();
      await card.getByRole('button', { name: 'Stop watching' }).click();
      await card.getByRole('button', { name: 'Watch this answer' }).waitFor();
      expect((await request(app.getHttpServer()).get('/watches').expect(200)).body.items).toEqual([]);
      expect(errors).toEqual([]);
    },
    TIMEOUT,
  );
});
