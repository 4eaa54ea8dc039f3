import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { DELIVERIES_STREAM, WATCHES_STREAM } from '../../src/watches/shared-watches';
import { WATCH_LEASE_STREAM } from '../../src/watches/watch-lease';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, figureBody } from '../support/factories';
import { eventually, Receiver, watchesSettled } from '../support/watches';

/**
 * Watches kept in the log (ANNALS_WATCHES_SHARED, the default over PostgreSQL and EventStoreDB), here
 * forced on over SQLite in memory: the watch, its notices and its deliveries are the service's own
 * events, the webhook secret sealed; the lease holder (this one replica) evaluates and delivers.
 * Several replicas: test/e2e/replicas-failover*.e2e.spec.ts and replicas-lease-kill.e2e.spec.ts.
 */
const SHARED = { ...loadConfig().watches!, shared: true, leaseTtlMs: 600, leaseRenewMs: 100, webhookAllowPrivate: true, webhookRetryBaseMs: 20, webhookRetryMaxMs: 100 };

describe('watches kept in the log', () => {
  let app: NestFastifyApplication;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    app = await createTestApp({ watches: SHARED });
  });
  afterAll(async () => {
    await app.close();
    await receiver.stop();
  });

  it('records the watch, its notice and its delivery as events, the secret sealed, and delivers the webhook once', async () => {
    const http = () => request(app.getHttpServer());
    const store = app.get<EventStore>(EVENT_STORE);
    const figure = figureBody();
    await http().post('/figures').send(figure).expect(201);
    const claim = claimBody({ assertedOn: '2019-02-15', period: undefined });
    await http().post(`/figures/${figure.id}/claims`).send(claim).expect(201);
    const created = await http().post('/watches').send({ kind: 'figure', figureId: figure.id, asOf: '2019-03-28', webhookUrl: receiver.url }).expect(201);
    const watchId = created.body.watch.id as string;
    const secret = created.body.webhook.secret as string;

    // Seen at once by the replica that was asked (and by every other, from the log).
    await http().get(`/watches/${watchId}`).expect(200);
    const [definition] = await store.readStream(WATCHES_STREAM);
    expect(definition.type).toBe('WatchCreated');
    expect(JSON.stringify(definition.data)).not.toContain(secret);
    expect(JSON.stringify(definition.data)).not.toContain(secret.slice('whsec_'.length));

    await http()
      .post(`/figures/${figure.id}/claims/${claim.id}/corrections`)
      .send(correctionBody({ value: { kind: 'exact', value: 1300 } }, 'the table, not the text'))
      .expect(200);
    await watchesSettled(app);
    const notices = (await http().get(`/watches/${watchId}/notices`).expect(200)).body.items as { id: string }[];
    expect(notices).toHaveLength(1);

    const [delivery] = await eventually(() => (receiver.received.length > 0 ? receiver.received : undefined), 'the webhook');
    const payload = new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { data: { id: string } };
    expect(payload.data.id).toBe(notices[0].id);
    await eventually(async () => {
      const { body } = await http().get(`/watches/${watchId}`).expect(200);
      return body.watch.webhook.delivery.delivered === 1 ? true : undefined;
    }, 'the delivery to be marked');
    const lease = (await store.readStream(WATCH_LEASE_STREAM)).map((e) => e.type);
    expect(lease[0]).toBe('WatchLeaseTaken');
    expect(lease).toContain('WatchesEvaluated');
    expect((await store.readStream(DELIVERIES_STREAM)).map((e) => [e.type, e.data.outcome])).toEqual([['WebhookAttempted', 'delivered']]);
    expect(receiver.received).toHaveLength(1);

    // A retry with the same Idempotency-Key answers the same secret, opened from its sealed form.
    const keyed = { kind: 'figure', figureId: figure.id, webhookUrl: receiver.url };
    const first = await http().post('/watches').set('Idempotency-Key', 'shared-watch-1').send(keyed).expect(201);
    const again = await http().post('/watches').set('Idempotency-Key', 'shared-watch-1').send(keyed).expect(201);
    expect(again.body.watch.id).toBe(first.body.watch.id);
    expect(again.body.webhook.secret).toBe(first.body.webhook.secret);

    // Deleted through the log too.
    await http().delete(`/watches/${watchId}`).expect(204);
    await http().get(`/watches/${watchId}`).expect(404);
    expect((await store.readStream(WATCHES_STREAM)).map((e) => e.type)).toContain('WatchDeleted');
  });
});
