import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import type { WatchesConfig } from '../../src/config';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, figureBody } from '../support/factories';
import { eventually, Receiver } from '../support/watches';

/** Quick retries so that a test waits milliseconds, not the default second doubling to an hour. */
const QUICK: WatchesConfig = { webhookRetryBaseMs: 20, webhookRetryMaxMs: 100, webhookMaxAttempts: 1000, webhookTimeoutMs: 2000, webhookAllowPrivate: true };

/** A receiver that is down now: its port is known, nothing listens on it. */
async function downReceiver(): Promise<Receiver> {
  const probe = await new Receiver().start();
  const port = Number(new URL(probe.url).port);
  await probe.stop();
  return new Receiver(port);
}

describe('watch webhooks', () => {
  const receivers: Receiver[] = [];
  const apps: NestFastifyApplication[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const receiver of receivers.splice(0)) await receiver.stop();
  });

  async function watchedFigure(app: NestFastifyApplication, webhookUrl: string) {
    const http = () => request(app.getHttpServer());
    const figure = figureBody();
    await http().post('/figures').send(figure).expect(201);
    const claim = claimBody({ assertedOn: '2019-02-15', period: undefined });
    await http().post(`/figures/${figure.id}/claims`).send(claim).expect(201);
    const { body } = await http().post('/watches').send({ kind: 'figure', figureId: figure.id, asOf: '2019-03-28', webhookUrl }).expect(201);
    const correct = () =>
      http()
        .post(`/figures/${figure.id}/claims/${claim.id}/corrections`)
        .send(correctionBody({ value: { kind: 'exact', value: 1300 } }, 'the table, not the text'))
        .expect(200);
    return { watchId: body.watch.id as string, secret: body.webhook.secret as string, correct, figureId: figure.id };
  }

  it('a receiver that is down gets the notice once it is back, signed per Standard Webhooks', async () => {
    const receiver = await downReceiver();
    receivers.push(receiver);
    const app = await createTestApp({ watches: QUICK });
    apps.push(app);
    const { watchId, secret, correct } = await watchedFigure(app, receiver.url);
    await correct();
    // Wait until it has failed at least twice (retried), then bring the receiver up.
    await eventually(async () => {
      const { body } = await request(app.getHttpServer()).get(`/watches/${watchId}`).expect(200);
      return body.watch.webhook.delivery.lastError && body.watch.webhook.delivery.pending === 1 ? true : undefined;
    }, 'a failed delivery attempt');
    await receiver.start();
    const [delivery] = await eventually(() => (receiver.received.length > 0 ? receiver.received : undefined), 'the webhook');
    const payload = new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { type: string; data: { id: string; watchId: string } };
    expect(payload.type).toBe('watch.answer-changed');
    expect(payload.data.watchId).toBe(watchId);
    expect(delivery.headers['webhook-id']).toBe(payload.data.id);
    expect(delivery.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(delivery.headers['content-type']).toBe('application/json');
    // Another secret, or another body, does not verify.
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(delivery.body, delivery.headers as Record<string, string>)).toThrow();
    expect(() => new Webhook(secret).verify(delivery.body.replace('1300', '1301'), delivery.headers as Record<string, string>)).toThrow();
    await eventually(async () => {
      const { body } = await request(app.getHttpServer()).get(`/watches/${watchId}`).expect(200);
      return body.watch.webhook.delivery.delivered === 1 && body.watch.webhook.delivery.pending === 0 ? true : undefined;
    }, 'the delivery to be marked');
  });

  it('a notice not yet delivered when the service stops is delivered after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'annals-watches-'));
    const files = { sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), dataDir: dir, watches: QUICK };
    const receiver = await downReceiver();
    receivers.push(receiver);
    const first = await createTestApp(files);
    const { watchId, secret, correct } = await watchedFigure(first, receiver.url);
    await correct();
    await eventually(async () => {
      const { body } = await request(first.getHttpServer()).get(`/watches/${watchId}`).expect(200);
      return body.watch.webhook.delivery.lastError ? true : undefined;
    }, 'a failed delivery attempt');
    await first.close();

    await receiver.start();
    const second = await createTestApp(files);
    apps.push(second);
    const [delivery] = await eventually(() => (receiver.received.length > 0 ? receiver.received : undefined), 'the webhook after the restart');
    const payload = new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { data: { watchId: string; changes: unknown[] } };
    expect(payload.data.watchId).toBe(watchId);
    // The watch and its stored answer outlived the restart: one notice, not a second one for the same change.
    const { body } = await request(second.getHttpServer()).get(`/watches/${watchId}/notices`).expect(200);
    expect(body.items).toHaveLength(1);
  });

  it.each([
    ['http://127.0.0.1:9/hook', '127.0.0.1'],
    ['http://localhost:8080/hook', 'localhost'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['http://10.1.2.3/hook', '10.1.2.3'],
    ['http://[::1]:3000/hook', '::1'],
    ['http://[::ffff:192.168.0.1]/hook', '::ffff:c0a8:1'],
  ])('refuses a webhook to %s by default: 400 naming webhookUrl, and no watch is made', async (url, host) => {
    const app = await createTestApp();
    apps.push(app);
    const http = () => request(app.getHttpServer());
    const figure = figureBody();
    await http().post('/figures').send(figure).expect(201);
    const { body } = await http().post('/watches').send({ kind: 'figure', figureId: figure.id, webhookUrl: url }).expect(400);
    expect(body.errors).toEqual([{ field: 'webhookUrl', reason: expect.stringContaining(host) }]);
    expect((await http().get('/watches').expect(200)).body.items).toEqual([]);
    // A public host is taken (it is resolved only when a notice is delivered).
    await http().post('/watches').send({ kind: 'figure', figureId: figure.id, webhookUrl: 'https://desk.example.org/hooks/annals' }).expect(201);
  });

  it('refuses at delivery a webhook made while private targets were allowed, once they are not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'annals-watches-'));
    const files = { sqlitePath: join(dir, 'events.db'), readModelPath: join(dir, 'read-models.db'), dataDir: dir };
    const receiver = await new Receiver().start();
    receivers.push(receiver);
    const first = await createTestApp({ ...files, watches: QUICK });
    const { watchId, figureId } = await watchedFigure(first, receiver.url);
    await first.close();
    const second = await createTestApp({ ...files, watches: { ...QUICK, webhookAllowPrivate: false } });
    apps.push(second);
    // A second claim before the watched day changes the watched answer: a notice, for a refused webhook.
    await request(second.getHttpServer()).post(`/figures/${figureId}/claims`).send(claimBody({ assertedOn: '2019-01-15', period: undefined })).expect(201);
    const delivery = await eventually(async () => {
      const { body } = await request(second.getHttpServer()).get(`/watches/${watchId}`).expect(200);
      return body.watch.webhook.delivery.lastError ? body.watch.webhook.delivery : undefined;
    }, 'a refused delivery');
    expect(delivery.lastError).toMatch(/^refused: the URL is a private, loopback or reserved address \(127\.0\.0\.1\)/);
    expect(receiver.received).toEqual([]);
  });
});
