import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EventSource } from 'eventsource';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, factBody, figureBody, uniqueId } from '../support/factories';
import { eventually } from '../support/watches';

/**
 * A TCP proxy between the SSE client and the app, so that a test can drop the connection the way
 * a network does: cut() destroys every open connection and holds new ones until resume(). It also
 * keeps what clients sent, to see the Last-Event-ID they resumed with.
 */
class Proxy {
  private server: Server | undefined;
  private readonly open = new Set<Socket>();
  private held: (() => void)[] | undefined;
  readonly requests: string[] = [];

  constructor(private readonly target: number) {}

  async start(): Promise<string> {
    this.server = createServer((client) => {
      const pipe = () => {
        const upstream = connect(this.target, '127.0.0.1');
        this.open.add(client).add(upstream);
        client.on('data', (chunk: Buffer) => this.requests.push(chunk.toString('latin1')));
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
          this.open.delete(client);
          this.open.delete(upstream);
        };
        client.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
      };
      if (this.held) this.held.push(pipe);
      else pipe();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  cut(): void {
    this.held = [];
    for (const socket of this.open) socket.destroy();
  }

  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const pipe of held) pipe();
  }

  /** Last-Event-ID of every request that sent one, in order. */
  lastEventIds(): string[] {
    return this.requests.map((r) => /last-event-id: *(\d+)/i.exec(r)?.[1]).filter((id): id is string => id !== undefined);
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

interface Seen {
  id: string;
  data: { claims: { value: { value: number } }[] } & Record<string, unknown>;
}

describe('view subscriptions (SSE)', () => {
  let app: NestFastifyApplication;
  let base: string;
  const sources: EventSource[] = [];
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp();
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => {
    for (const source of sources) source.close();
    await app.close();
  });

  function follow(url: string): Seen[] {
    const seen: Seen[] = [];
    const source = new EventSource(url);
    sources.push(source);
    source.addEventListener('view', (message) => seen.push({ id: message.lastEventId, data: JSON.parse(message.data) }));
    return seen;
  }

  const valueOf = (view: Seen) => view.data.claims[0]?.value.value;

  it('sends the view, then each changed view; a client that drops resumes with no missed change and no repeat', async () => {
    const proxy = new Proxy(Number(new URL(base).port));
    const through = await proxy.start();
    try {
      const figure = figureBody();
      await http().post('/figures').send(figure).expect(201);
      const claim = claimBody({ assertedOn: '2019-02-15', value: { kind: 'exact', value: 100 }, period: undefined });
      await http().post(`/figures/${figure.id}/claims`).send(claim).expect(201);
      const correct = (value: number) =>
        http().post(`/figures/${figure.id}/claims/${claim.id}/corrections`).send(correctionBody({ value: { kind: 'exact', value } })).expect(200);

      const seen = follow(`${through}/views/figures/${figure.id}?asOf=2019-03-28`);
      await eventually(() => (seen.length === 1 ? true : undefined), 'the first view');
      expect(valueOf(seen[0])).toBe(100);

      const { body: second } = await correct(120);
      await eventually(() => (seen.length === 2 ? true : undefined), 'the changed view');
      expect(valueOf(seen[1])).toBe(120);
      expect(seen[1].id).toBe(second.position);

      // Dropped while the figure changes: on reconnect, the current view at once.
      proxy.cut();
      const { body: third } = await correct(140);
      await http().post('/facts').send(factBody()).expect(201);
      proxy.resume();
      await eventually(() => (seen.length === 3 ? true : undefined), 'the view changed while disconnected');
      expect(valueOf(seen[2])).toBe(140);
      expect(BigInt(seen[2].id)).toBeGreaterThanOrEqual(BigInt(third.position));
      expect(proxy.lastEventIds()).toEqual([second.position]);

      // Dropped while nothing it shows changes: nothing is sent again; the next change is the next message.
      proxy.cut();
      await http().post('/facts').send(factBody()).expect(201);
      await http().post(`/figures/${figure.id}/claims`).send(claimBody({ claimant: 'Airwars', assertedOn: '2019-07-01', period: undefined })).expect(201);
      proxy.resume();
      await eventually(() => (proxy.lastEventIds().length === 2 ? true : undefined), 'the second reconnect');
      expect(proxy.lastEventIds()[1]).toBe(seen[2].id);
      await correct(160);
      await eventually(() => (seen.length >= 4 ? true : undefined), 'the next change');
      expect(seen.map(valueOf)).toEqual([100, 120, 140, 160]);
    } finally {
      await proxy.stop();
    }
  });

  it('timeline and fact views change with the facts they show', async () => {
    const tag = uniqueId('view');
    const fact = factBody({ tags: [tag], validTime: { at: '2018-05' } });
    await http().post('/facts').send(fact).expect(201);
    const timeline = follow(`${base}/views/timeline?tag=${tag}&asOf=2019-03-28`);
    const single = follow(`${base}/views/facts/${fact.id}`);
    await eventually(() => (timeline.length === 1 && single.length === 1 ? true : undefined), 'the first views');
    expect((timeline[0].data.items as { id: string }[]).map((f) => f.id)).toEqual([fact.id]);
    await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Corrected title' })).expect(200);
    await eventually(() => (timeline.length === 2 && single.length === 2 ? true : undefined), 'the changed views');
    expect((timeline[1].data.items as { title: string }[])[0].title).toBe('Corrected title');
    expect(single[1].data.title).toBe('Corrected title');
  });

  it('a notice stream resumes after the last notice the client had', async () => {
    const figure = figureBody();
    await http().post('/figures').send(figure).expect(201);
    const claim = claimBody({ assertedOn: '2019-02-15', period: undefined });
    await http().post(`/figures/${figure.id}/claims`).send(claim).expect(201);
    const { body: created } = await http().post('/watches').send({ kind: 'figure', figureId: figure.id }).expect(201);
    const correct = (value: number) =>
      http().post(`/figures/${figure.id}/claims/${claim.id}/corrections`).send(correctionBody({ value: { kind: 'exact', value } })).expect(200);
    await correct(1);
    await correct(2);
    const first = await eventually(async () => {
      const { body } = await http().get(`/watches/${created.watch.id}/notices`).expect(200);
      return body.items.length === 2 ? body.items[0] : undefined;
    }, 'two notices');
    const received: { id: string; notice: { after: { claims: { value: { value: number } }[] } } }[] = [];
    const source = new EventSource(`${base}/watches/${created.watch.id}/notices/stream?after=${first.sequence}`);
    sources.push(source);
    source.addEventListener('notice', (m) => received.push({ id: m.lastEventId, notice: JSON.parse(m.data) }));
    await eventually(() => (received.length === 1 ? true : undefined), 'the missed notice');
    // The stream of every notice, kept to this watch: another watch's notices stay out of it.
    const other = figureBody();
    await http().post('/figures').send(other).expect(201);
    await http().post('/watches').send({ kind: 'figure', figureId: other.id }).expect(201);
    const filtered: string[] = [];
    const all = new EventSource(`${base}/notices/stream?watches=${created.watch.id}`);
    sources.push(all);
    all.addEventListener('notice', (m) => filtered.push(JSON.parse(m.data).watchId));
    await new Promise((resolve) => all.addEventListener('open', resolve));
    await http().post(`/figures/${other.id}/claims`).send(claimBody({ assertedOn: '2019-01-01', period: undefined })).expect(201);
    await correct(3);
    await eventually(() => (received.length === 2 && filtered.length === 1 ? true : undefined), 'the live notice');
    expect(received.map((r) => r.notice.after.claims[0].value.value)).toEqual([2, 3]);
    expect(BigInt(received[1].id)).toBeGreaterThan(BigInt(received[0].id));
    expect(filtered).toEqual([created.watch.id]);
    await http().get('/notices/stream?watches=not%20an%20id').expect(400);
  });

  it('refuses what it cannot stream before the stream opens', async () => {
    await http().get('/views/figures/no-such-figure').expect(404);
    const figure = figureBody();
    await http().post('/figures').send(figure).expect(201);
    // HEAD answers the stream's headers and no stream.
    const head = await http().head(`/views/figures/${figure.id}`).expect(200);
    expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
    await http().get('/views/timeline?asOf=2019-13-01').expect(400);
    await http().get('/views/timeline?knownAt=2026-01-01T00:00:00Z').expect(400);
    await http().get('/views/facts/x').set('last-event-id', 'abc').expect(400);
  });
});
