import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { get, IncomingMessage } from 'node:http';
import request from 'supertest';
import { createTestApp } from '../support/app';

interface Message {
  id: string;
  event: string;
  data: { type: string; streamId: string; position: string; data: Record<string, unknown> };
}

describe('event stream (SSE)', () => {
  let app: NestFastifyApplication;
  let base: string;
  const open: IncomingMessage[] = [];

  beforeEach(async () => {
    app = await createTestApp();
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterEach(async () => {
    for (const response of open.splice(0)) response.destroy();
    await app.close();
  });

  const record = (id: string) =>
    request(app.getHttpServer())
      .post('/facts')
      .send({
        id,
        title: `Fact ${id}`,
        summary: '',
        tags: ['probe'],
        entities: [],
        sources: [{ publisher: 'Desk', title: 'Note', url: 'https://example.org/a', publishedOn: '2019' }],
        validTime: { at: '2019-03' },
      })
      .expect(201);

  /** Opens the stream and collects messages until `count` have arrived. */
  function listen(path: string, count: number, headers: Record<string, string> = {}): Promise<Message[]> {
    return new Promise((resolve, reject) => {
      get(`${base}${path}`, { headers }, (response) => {
        open.push(response);
        expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
        const messages: Message[] = [];
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          const blocks = buffer.split('\n\n');
          buffer = blocks.pop() ?? '';
          for (const block of blocks) {
            const fields = Object.fromEntries(
              block.split('\n').filter((l) => !l.startsWith(':') && l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
            );
            if (fields.data) messages.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
          }
          if (messages.length >= count) resolve(messages);
        });
      }).on('error', reject);
    });
  }

  it('replays history from a position, then goes live, each event once and in order', async () => {
    await record('a');
    await record('b');
    const messages = listen('/events?from=0', 4);
    await new Promise((r) => setTimeout(r, 50));
    await record('c');
    await record('d');
    const seen = await messages;
    expect(seen.map((m) => m.data.data.factId)).toEqual(['a', 'b', 'c', 'd']);
    expect(seen.map((m) => m.event)).toEqual(['FactRecorded', 'FactRecorded', 'FactRecorded', 'FactRecorded']);
    expect(seen.map((m) => m.id)).toEqual(seen.map((m) => m.data.position));
  });

  it('resumes after Last-Event-ID and filters by type and stream prefix', async () => {
    const first = await record('a');
    await record('b');
    await request(app.getHttpServer())
      .post('/facts/b/retraction')
      .send({ reason: 'duplicate' })
      .expect(200);
    const resumed = await listen('/events', 2, { 'last-event-id': first.body.position });
    expect(resumed.map((m) => [m.event, m.data.streamId])).toEqual([
      ['FactRecorded', 'fact-b'],
      ['FactRetracted', 'fact-b'],
    ]);
    const retractions = await listen('/events?from=0&types=FactRetracted&streams=fact-', 1);
    expect(retractions.map((m) => m.data.streamId)).toEqual(['fact-b']);
  });

  it('shows an event only after the read models have it', async () => {
    const live = listen('/events', 1);
    await new Promise((r) => setTimeout(r, 50));
    // supertest sends only when awaited or then-ed: start the write now, await it later.
    const write = record('z').then((response) => response);
    const [message] = await live;
    const fact = await request(app.getHttpServer()).get(`/facts/${message.data.data.factId}`);
    expect(fact.status).toBe(200);
    await write;
  });

  it('gives live subscribers, filtered or not, each its own events once and in order while writes run side by side', async () => {
    await record('before');
    // 30 unfiltered subscribers share each live batch (encoded once); two filtered ones get their part of it.
    const everyone = Array.from({ length: 30 }, () => listen('/events', 40));
    const retractions = listen('/events?types=FactRetracted', 10);
    // 15 odd facts recorded, then 5 of them retracted: 20 events on fact-odd- streams.
    const oddFacts = listen('/events?streams=fact-odd-', 20);
    await new Promise((r) => setTimeout(r, 100));
    const writes: Promise<unknown>[] = [];
    for (let n = 0; n < 30; n++) writes.push(record(n % 2 ? `odd-${n}` : `even-${n}`));
    await Promise.all(writes);
    const retracting = [];
    for (let n = 0; n < 10; n++) retracting.push(request(app.getHttpServer()).post(`/facts/${n % 2 ? `odd-${n}` : `even-${n}`}/retraction`).send({ reason: 'test' }).expect(200));
    await Promise.all(retracting);
    const seen = await Promise.all(everyone);
    const positions = seen[0].map((m) => BigInt(m.data.position));
    expect([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(positions);
    expect(new Set(positions).size).toBe(40);
    expect(seen[0].filter((m) => m.event === 'FactRecorded').map((m) => m.data.data.factId)).not.toContain('before');
    for (const other of seen) expect(other.map((m) => m.id)).toEqual(seen[0].map((m) => m.id));
    expect((await retractions).map((m) => m.event)).toEqual(Array(10).fill('FactRetracted'));
    const odd = await oddFacts;
    expect(odd).toHaveLength(20);
    expect(odd.every((m) => m.data.streamId.startsWith('fact-odd-'))).toBe(true);
    expect(odd.map((m) => m.id)).toEqual(seen[0].filter((m) => m.data.streamId.startsWith('fact-odd-')).map((m) => m.id));
  });

  it('refuses a malformed position with problem+json', async () => {
    const response = await request(app.getHttpServer()).get('/events?from=abc');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.body.errors[0].field).toBe('from');
  });
});

describe('event stream heartbeat', () => {
  it('sends a keep-alive comment every ANNALS_SSE_HEARTBEAT_MS while no events come, so proxies keep the stream open', async () => {
    const app = await createTestApp({ timers: { checkpointIntervalMs: 100, followRetryMs: 100, sseHeartbeatMs: 30, watchSavePositionMs: 100 } });
    try {
      await app.listen(0, '127.0.0.1');
      const base = await app.getUrl();
      const received = await new Promise<string>((resolve, reject) => {
        get(`${base}/events`, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
            if (text.split(': keep-alive\n\n').length > 3) {
              response.destroy();
              resolve(text);
            }
          });
        }).on('error', reject);
      });
      expect(received.startsWith(': annals event stream\n\n: keep-alive\n\n: keep-alive\n\n: keep-alive\n\n')).toBe(true);
    } finally {
      await app.close();
    }
  });
});
