import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Database from 'better-sqlite3';
import type { RecordedEvent } from '../../src/event-store/event-store';
import { TimelineProjection } from '../../src/projections/timeline/timeline.projection';
import { LiveEvents } from '../../src/subscriptions/live-events';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';

describe('live events after the read models failed', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ writeWaitMs: 300, logLevel: 'silent' });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app.close();
  });

  it('keep reaching subscribers while /health reports the projections down and writes answer projected: false', async () => {
    const heard: RecordedEvent[] = [];
    app.get(LiveEvents).listen((events) => heard.push(...events));
    const ok = await app.inject({ method: 'POST', url: '/facts', payload: factBody({ id: 'before-failure' }) });
    expect(ok.json().projected).toBe(true);
    // A failure of the read models' database itself (not of one event, which would be quarantined):
    // the runner stops at its checkpoint rather than skip the event.
    const apply = TimelineProjection.prototype.apply;
    jest.spyOn(TimelineProjection.prototype, 'apply').mockImplementation(function (this: TimelineProjection, event: RecordedEvent) {
      if (event.streamId === 'fact-broken') throw new Database.SqliteError('disk I/O error', 'SQLITE_IOERR');
      return apply.call(this, event);
    });
    const broken = await app.inject({ method: 'POST', url: '/facts', payload: factBody({ id: 'broken' }) });
    expect(broken.statusCode).toBe(201);
    expect(broken.json().projected).toBe(false);
    const after = await app.inject({ method: 'POST', url: '/facts', payload: factBody({ id: 'after-failure' }) });
    expect(after.statusCode).toBe(201);
    expect(after.json().projected).toBe(false);
    for (let i = 0; i < 50 && heard.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(heard.map((e) => e.streamId)).toEqual(['fact-before-failure', 'fact-broken', 'fact-after-failure']);
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json().details.projections).toEqual(expect.objectContaining({ status: 'down', error: expect.stringContaining('disk I/O error') }));
  });
});
