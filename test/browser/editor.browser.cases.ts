import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';
import { givenKeys } from '../support/keys';

/**
 * Writing from the page with keys configured: only an editor sees the forms; its writes ride on the
 * session cookie with the CSRF header, are recorded under its key's name, and show up live.
 */

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const TIMEOUT = 60_000;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

(HAS_CHROMIUM ? describe : describe.skip)(`${HAS_CHROMIUM ? '' : '[skipped: no Chromium at /usr/bin/chromium] '}writing from the page with API keys`, () => {
  const keys = givenKeys({ desk: 'editor', audit: 'reader' });
  let app: NestFastifyApplication;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  async function logIn(name: string): Promise<void> {
    await page.locator('#login-key').fill(keys.secret(name));
    await page.locator('#login button[type="submit"]').click();
    await page.locator('#session-name').filter({ hasText: `Logged in as ${name}` }).waitFor();
  }

  beforeAll(async () => {
    app = await createTestApp({ auth: { keysFile: keys.file } });
    await importDemoData(app);
    await app.listen(0, '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(await app.getUrl());
    await page.locator('#status').filter({ hasText: /^Showing/ }).waitFor();
  }, TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it(
    'hides the forms from a visitor and from a reader',
    async () => {
      await page.locator('#login').waitFor();
      expect(await page.locator('#editor').isHidden()).toBe(true);
      expect(await page.locator('[data-edit-kind="correct"]').first().isHidden()).toBe(true);
      await logIn('audit');
      expect(await page.locator('#editor').isHidden()).toBe(true);
      expect(await page.locator('[data-edit-kind="correct"]').first().isHidden()).toBe(true);
      await page.locator('#logout').click();
      await page.locator('#login').waitFor();
    },
    TIMEOUT,
  );

  it(
    'lets an editor record a fact that appears live under its key’s name, then retract it',
    async () => {
      await logIn('desk');
      await page.locator('#editor > summary').click();
      const form = page.locator('#record-fact');
      await form.locator('[name="title"]').fill('A fact written from the page');
      await form.locator('[name="summary"]').fill('Recorded through the editor form.');
      await form.locator('[name="validTime.at"]').fill('2019-04-01');
      await form.locator('[name="tags"]').fill('page, test');
      await form.locator('[name="entities"]').fill('place: Raqqa');
      await form.locator('[name="sources[0].publisher"]').fill('Test desk');
      await form.locator('[name="sources[0].title"]').fill('A report');
      await form.locator('[name="sources[0].url"]').fill('https://example.org/report');
      await form.getByRole('button', { name: 'Record' }).click();
      const done = form.locator('.form-done');
      await done.filter({ hasText: 'Recorded as' }).waitFor();
      const id = String(await done.textContent()).replace(/^Recorded as (.+)\.$/, '$1');

      const item = page.locator(`.fact.is-new[data-fact-id="${id}"]`);
      await item.waitFor();
      const history = (await app.inject({ method: 'GET', url: `/facts/${id}/history` })).json<{ versions: { lastChange: { actor: string }; tags: string[] }[] }>();
      expect(history.versions[0].lastChange.actor).toBe('desk');
      expect(history.versions[0].tags).toEqual(['page', 'test']);

      await item.locator('[data-edit-kind="retract"]').click();
      const dialog = page.locator('#edit-dialog');
      await dialog.locator('[name="reason"]').fill('written by a test');
      await dialog.getByRole('button', { name: 'Retract' }).click();
      await dialog.locator('.form-done').filter({ hasText: 'Retracted' }).waitFor();
      await page.locator('#edit-close').click();
      const fact = (await app.inject({ method: 'GET', url: `/facts/${id}` })).json<{ status: string }>();
      expect(fact.status).toBe('retracted');
    },
    TIMEOUT,
  );
  it(
    'shows every error of a form in one round: a required field left empty as required, and an impossible day, each beside its field',
    async () => {
      // Still logged in as the editor from the test before, when run after it.
      if (await page.locator('#login').isVisible()) await logIn('desk');
      const form = page.locator('#record-fact');
      if (!(await form.isVisible())) await page.locator('#editor > summary').click();
      await form.locator('[name="title"]').fill('');
      await form.locator('[name="summary"]').fill('A fact with gaps');
      await form.locator('[name="validTime.at"]').fill('2019-02-30');
      await form.locator('[name="sources[0].publisher"]').fill('');
      await form.locator('[name="sources[0].title"]').fill('A report');
      await form.locator('[name="sources[0].url"]').fill('https://example.org/report');
      await form.getByRole('button', { name: 'Record' }).click();
      await form.locator('.field-error').first().waitFor();
      const shown = await form.locator('.field-error').evaluateAll((nodes) => nodes.map((n) => [n.previousElementSibling?.getAttribute('name'), n.textContent]));
      expect(shown).toEqual(
        expect.arrayContaining([
          ['title', 'title is required'],
          ['validTime.at', 'at has no day 30 in 2019-02'],
          ['sources[0].publisher', 'sources[0].publisher is required'],
        ]),
      );
      // The browser logs the refused request itself; that 400 is the answer under test, not a page error.
      pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((e) => !/status of 400/.test(e)));
      await page.locator('#logout').click();
      await page.locator('#login').waitFor();
    },
    TIMEOUT,
  );
});
