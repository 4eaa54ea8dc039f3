import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';
import { givenKeys } from '../support/keys';

/** The page, its live subscription and Swagger UI when reads need a key, driven in Debian's Chromium. */

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const TIMEOUT = 60_000;

const describeInBrowser = HAS_CHROMIUM ? describe : describe.skip;

describeInBrowser(HAS_CHROMIUM ? 'login, live events and Swagger UI in Chromium, reads closed' : 'skipped: Chromium not installed; .ci/install-test-tools.sh installs it', () => {
  const keys = givenKeys({ audit: 'reader' });
  let app: NestFastifyApplication;
  let browser: Browser;
  let page: Page;
  let base: string;
  /** Console errors other than the 401s asked for on purpose (a CSP violation shows up here too). */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    app = await createTestApp({ auth: { keysFile: keys.file, readsNeedKey: true } });
    await importDemoData(app);
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 401/.test(message.text())) pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  }, TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  /** Resolves with the number of FactRecorded messages the page's EventSource got, or 'error' if it was refused. */
  const subscribe = () =>
    page.evaluate(
      () =>
        new Promise<number | 'error'>((resolve) => {
          const source = new EventSource('/events?from=0');
          let count = 0;
          source.addEventListener('FactRecorded', () => {
            if (++count === 3) {
              source.close();
              resolve(count);
            }
          });
          source.onerror = () => {
            source.close();
            resolve('error');
          };
        }),
    );

  it(
    'asks for a key, logs in with it, then shows the timeline and follows /events with the cookie alone',
    async () => {
      await page.goto(`${base}/`);
      await page.locator('#login').waitFor({ state: 'visible' });
      await page.locator('#problem').filter({ hasText: '401' }).waitFor();
      expect(await subscribe()).toBe('error');

      await page.locator('#login-key').fill(keys.secret('audit'));
      await page.locator('#login button[type=submit]').click();
      await page.locator('#session-name').filter({ hasText: 'Logged in as audit (reader)' }).waitFor();
      await page.locator('#status').filter({ hasText: /^Showing/ }).waitFor();
      expect(await page.locator('#facts > li').count()).toBeGreaterThan(0);
      expect(await page.locator('#login').isHidden()).toBe(true);
      expect(await subscribe()).toBe(3);
      // The cookie is HttpOnly: the page's script cannot read it, and the key is nowhere in it.
      expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe('');
      const [cookie] = await page.context().cookies();
      expect(cookie).toMatchObject({ name: 'annals_session', httpOnly: true, sameSite: 'Strict' });
      expect(cookie.value).not.toContain(keys.secret('audit'));

      await page.locator('#logout').click();
      await page.locator('#login').waitFor({ state: 'visible' });
      expect(await subscribe()).toBe('error');
    },
    TIMEOUT,
  );

  it(
    'renders Swagger UI at /docs under its content security policy',
    async () => {
      await page.goto(`${base}/docs`);
      await page.locator('.swagger-ui .info .title').filter({ hasText: 'Annals' }).waitFor();
      expect(await page.locator('.opblock').count()).toBeGreaterThan(5);
    },
    TIMEOUT,
  );
});
