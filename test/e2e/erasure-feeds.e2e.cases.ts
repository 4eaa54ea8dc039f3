import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { get } from 'node:http';
import request from 'supertest';
import { GrpcEndpoint } from '../../src/grpc/grpc.module';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';

const NAME = 'Joseph Votel';

/** The SSE messages of `/events?from=0` up to `count`, as parsed JSON bodies. */
function sse(base: string, count: number): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return new Promise((resolve, reject) => {
    get(`${base}/events?from=0`, (response) => {
      const messages: { type: string; data: Record<string, unknown> }[] = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const block of blocks) {
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data) messages.push(JSON.parse(data.slice(6)));
        }
        if (messages.length >= count) {
          response.destroy();
          resolve(messages);
        }
      });
    }).on('error', reject);
  });
}

async function grpcRead(client: EventStoreDBClient, stream: string): Promise<unknown[]> {
  const events: unknown[] = [];
  for await (const resolved of client.readStream(stream)) events.push(resolved.event?.data);
  return events;
}

describe('raw-event feeds after an erasure (SSE /events, gRPC reads)', () => {
  let app: NestFastifyApplication;
  let client: EventStoreDBClient;
  let base: string;

  beforeEach(async () => {
    app = await createTestApp({ grpc: { host: '127.0.0.1', port: 0 } });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    client = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${app.get(GrpcEndpoint).port}?tls=false`);
  });
  afterEach(async () => {
    await client.dispose();
    await app.close();
  });

  it('show a sealed value opened before the erasure and as [erased on D] after, never the ciphertext', async () => {
    const http = () => request(app.getHttpServer());
    const fact = factBody({ entities: [{ type: 'person', name: NAME }] });
    await http().post('/facts').send(fact).expect(201);
    // A user-namespace event is its writer's bytes, whatever they look like: never opened.
    const lookalike = { note: 'annals:sealed:v1:sAAAAAAAAAAAAAAAAAAAAAA:AAAA' };
    await client.appendToStream('notes-1', jsonEvent({ type: 'NoteTaken', data: lookalike }));

    const [before] = await sse(base, 1);
    expect(before.data).toMatchObject({ entities: [{ type: 'person', name: NAME }] });
    expect(await grpcRead(client, `fact-${fact.id}`)).toEqual([expect.objectContaining({ entities: [{ type: 'person', name: NAME }] })]);

    const erased = (await http().post('/admin/subjects/erase').send({ subject: NAME, reason: 'request 7' }).expect(200)).body;
    const marker = `[erased on ${erased.erasedAt.slice(0, 10)}]`;

    const after = await sse(base, 3);
    expect(after[0].data).toMatchObject({ entities: [{ type: 'person', name: marker }] });
    expect(after[1].data).toEqual(expect.objectContaining({ text: JSON.stringify(lookalike) }));
    expect(after[2]).toMatchObject({ type: 'SubjectErased', data: { subject: erased.subject, reason: 'request 7' } });
    expect(JSON.stringify(after)).not.toMatch(/votel/i);
    expect(await grpcRead(client, `fact-${fact.id}`)).toEqual([expect.objectContaining({ entities: [{ type: 'person', name: marker }] })]);
    expect(await grpcRead(client, 'notes-1')).toEqual([lookalike]);
    const all: string[] = [];
    for await (const resolved of client.readAll()) all.push(JSON.stringify(resolved.event?.data));
    expect(all.join('\n')).not.toMatch(/votel/i);
    expect(all.filter((data) => data.includes('annals:sealed:v1:'))).toEqual([JSON.stringify(lookalike)]);
  });
});
