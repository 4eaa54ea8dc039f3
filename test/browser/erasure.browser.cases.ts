import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { givenKeys } from '../support/keys';

/**
 * Erasing a person from the page: only an admin sees the form; a confirm step comes before
 * anything is sent; afterwards the page shows the erased value as a marker, never the name.
 */

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const TIMEOUT = 60_000;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];
const NAME = 'Joseph Votel';

(HAS_CHROMIUM ? describe : describe.skip)(`${HAS_CHROMIUM ? '' : '[skipped: no Chromium at /usr/bin/chromium] '}erasing a person from the page`, () => {
  const keys = givenKeys({ dpo: 'admin', desk: 'editor' });
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
    const fact = factBody({ title: 'Change of command at CENTCOM', entities: [{ type: 'person', name: NAME }, { type: 'organisation', name: 'US Central Command' }] });
    await request(app.getHttpServer()).post('/facts').set('authorization', `Bearer ${keys.secret('desk')}`).send(fact).expect(201);
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
    'shows the erase form to an admin only',
    async () => {
      await logIn('desk');
      await page.locator('#editor > summary').click();
      await page.locator('#record-fact').waitFor();
      expect(await page.locator('#erase-subject').isVisible()).toBe(false);
      await page.locator('#logout').click();
      await page.locator('#login').waitFor();
    },
    TIMEOUT,
  );

  it(
    'lets a writer mark a field as naming a person: the log holds no name, and erasing the person leaves the rest of the text',
    async () => {
      const witness = 'Amina Yusuf';
      await logIn('desk');
      if (!(await page.locator('#editor').evaluate((details) => (details as unknown as { open: boolean }).open))) await page.locator('#editor > summary').click();
      const form = page.locator('#record-fact');
      await form.waitFor();
      await form.locator('[name="title"]').fill(`Mass grave found in Raqqa, says ${witness}`);
      await form.locator('[name="summary"]').fill(`${witness} led investigators to the site.`);
      await form.locator('[name="validTime.at"]').fill('2018-07');
      await form.locator('[name="sources[0].publisher"]').fill('Human Rights Watch');
      await form.locator('[name="sources[0].title"]').fill('Syria: Mass graves in Raqqa');
      await form.locator('[name="sources[0].url"]').fill('https://www.hrw.org/');
      // Marked in the summary only, while the title names her too: the API refuses, and says so beside the mark.
      await form.locator('[name="names.summary"]').fill(witness);
      await form.locator('button[type="submit"]').click();
      const refusedMark = form.locator('[name="names.summary"] + .field-error');
      await refusedMark.waitFor();
      expect(await refusedMark.textContent()).toMatch(/unmarked|also stands|mark it/i);
      const refused = pageErrors.findIndex((text) => /status of 400/.test(text));
      expect(refused).toBeGreaterThanOrEqual(0);
      pageErrors.splice(refused, 1);
      // Marked in both: recorded, the name sealed where it is written, the rest of each text readable.
      await form.locator('[name="names.title"]').fill(witness);
      await form.locator('button[type="submit"]').click();
      const recorded = form.locator('.form-done').filter({ hasText: /^Recorded as / });
      await recorded.waitFor();
      const id = /^Recorded as (.+)\.$/.exec((await recorded.textContent()) ?? '')![1];
      const http = request(app.getHttpServer());
      const admin = { authorization: `Bearer ${keys.secret('dpo')}` };
      expect((await http.get(`/facts/${encodeURIComponent(id)}`).expect(200)).body).toMatchObject({ summary: `${witness} led investigators to the site.` });
      const log = (await http.get('/admin/export/log').set(admin).expect(200)).text;
      expect(log).toContain('led investigators to the site.');
      expect(log).not.toContain('Yusuf');
      const erased = (await http.post('/admin/subjects/erase').set(admin).send({ subject: witness, reason: 'witness at risk' }).expect(200)).body;
      const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;
      expect((await http.get(`/facts/${encodeURIComponent(id)}`).expect(200)).body).toMatchObject({
        title: `Mass grave found in Raqqa, says ${marker}`,
        summary: `${marker} led investigators to the site.`,
      });
      await page.locator('#logout').click();
      await page.locator('#login').waitFor();
    },
    TIMEOUT,
  );

  it(
    'erases after a confirm step, with a reason; the page then shows [erased on D] as a marker and no longer the name',
    async () => {
      await expect(page.locator('#facts').textContent()).resolves.toContain(NAME);
      await logIn('dpo');
      if (!(await page.locator('#editor').evaluate((details) => (details as unknown as { open: boolean }).open))) await page.locator('#editor > summary').click();
      const form = page.locator('#erase-subject');
      await form.waitFor();
      // Refused by the API without a reason: its reason shows beside the field.
      await form.locator('[name="subject"]').fill('joseph  votel');
      await form.locator('button[type="submit"]').click();
      await form.locator('.erase-confirm button.danger').click();
      await form.locator('.field-error').first().waitFor();
      expect(await form.locator('[name="reason"] + .field-error').textContent()).toBeTruthy();
      // The browser logs the refused request itself: that one is expected.
      const refused = pageErrors.findIndex((text) => /status of 400/.test(text));
      expect(refused).toBeGreaterThanOrEqual(0);
      pageErrors.splice(refused, 1);
      // Cancel sends nothing.
      await form.locator('[name="reason"]').fill('GDPR Art. 17 request 41');
      await form.locator('button[type="submit"]').click();
      await form.locator('.erase-confirm').filter({ hasText: 'cannot be undone' }).waitFor();
      await form.locator('.erase-confirm button:not(.danger)').click();
      await expect(page.locator('#facts').textContent()).resolves.toContain(NAME);
      // Confirmed: erased, and the page reads the answers again.
      await form.locator('button[type="submit"]').click();
      await form.locator('.erase-confirm button.danger').click();
      await form.locator('.form-done').filter({ hasText: /^Erased subject s/ }).waitFor();
      const marker = page.locator('#facts .redaction-erased').first();
      await marker.waitFor();
      expect(await marker.textContent()).toMatch(/^\[erased on \d{4}-\d{2}-\d{2}\]$/);
      expect(await marker.getAttribute('title')).toMatch(/Erased on request/);
      expect(await page.locator('#facts').textContent()).not.toContain('Votel');
      expect(await page.locator('#facts').textContent()).toContain('US Central Command');
    },
    TIMEOUT,
  );
});
