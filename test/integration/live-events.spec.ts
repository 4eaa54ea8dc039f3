import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../../src/event-store/event-store';
import { LiveEvents } from '../../src/subscriptions/live-events';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';

describe('live events after a projection failed', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ writeWaitMs: 300, logLevel: 'silent' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('keep reaching subscribers while /health reports the projections down and writes answer projected: false', async () => {
    const heard: RecordedEvent[] = [];
    app.get(LiveEvents).listen((events) => heard.push(...events));
    const ok = await app.inject({ method: 'POST', url: '/facts', payload: factBody({ id: 'before-failure' }) });
    expect(ok.json().projected).toBe(true);
    // An event the timeline projection cannot apply (no valid time): its runner stops rather than skip it.
    await app.get<EventStore>(EVENT_STORE).appendToStream('fact-broken', [{ id: randomUUID(), type: 'FactRecorded', data: { factId: 'broken' } }]);
    const after = await app.inject({ method: 'POST', url: '/facts', payload: factBody({ id: 'after-failure' }) });
    expect(after.statusCode).toBe(201);
    expect(after.json().projected).toBe(false);
    for (let i = 0; i < 50 && heard.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(heard.map((e) => e.streamId)).toEqual(['fact-before-failure', 'fact-broken', 'fact-after-failure']);
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json().details.projections).toEqual(expect.objectContaining({ status: 'down', error: expect.any(String) }));
  });
});
