import { AccessDeniedError, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { outsideWriter } from '../../src/event-store/stream-ownership';
import type { GrpcAuthenticator, GrpcPrincipal } from '../../src/grpc/grpc-authenticator';
import { AnnalsGrpcServer } from '../../src/grpc/grpc-server';
import { GrpcTestEndpoint, startGrpcEndpoint } from '../support/grpc-endpoint';

/** Two keys, as the API-key store would hold them: username = key name, password = key secret. */
const keys: Record<string, { secret: string; principal: GrpcPrincipal }> = {
  'desk-reader': { secret: 'r-secret', principal: { name: 'desk-reader', role: 'reader' } },
  'desk-editor': { secret: 'e-secret', principal: { name: 'desk-editor', role: 'editor' } },
};
const stubKeys: GrpcAuthenticator = {
  required: true,
  authenticate: (name, secret) => (keys[name]?.secret === secret ? keys[name].principal : undefined),
};

describe('gRPC with API keys: TLS and Basic credentials', () => {
  let dir: string;
  let certFile: string;
  let endpoint: GrpcTestEndpoint;
  const clients: EventStoreDBClient[] = [];
  const connect = (credentials = '') => {
    const client = EventStoreDBClient.connectionString(`esdb://${credentials}127.0.0.1:${endpoint.server.port}?tls=true&tlsCAFile=${certFile}`);
    clients.push(client);
    return client;
  };
  const readAll = async (client: EventStoreDBClient) => {
    const types = [];
    for await (const resolved of client.readAll()) types.push(resolved.event!.type);
    return types;
  };

  beforeAll(async () => {
    // A self-signed certificate for 127.0.0.1, made for this run.
    dir = mkdtempSync(join(tmpdir(), 'annals-grpc-tls-'));
    certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
    endpoint = await startGrpcEndpoint({ tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) }, authenticator: stubKeys });
    await endpoint.store.appendToStream('probe-1', [{ id: randomUUID(), type: 'ProbeSent', data: {} }]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await endpoint.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start with keys but without TLS, since the clients would never send them', () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    try {
      expect(() => new AnnalsGrpcServer(outsideWriter(store), { host: '127.0.0.1', port: 0, authenticator: stubKeys })).toThrow(/needs TLS/);
    } finally {
      void store.close();
    }
  });

  it('refuses a call without credentials, and one with a wrong secret', async () => {
    await expect(readAll(connect())).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(readAll(connect('desk-reader:wrong@'))).rejects.toBeInstanceOf(AccessDeniedError);
  });

  it('lets a reader read but not append', async () => {
    const reader = connect('desk-reader:r-secret@');
    expect(await readAll(reader)).toContain('ProbeSent');
    await expect(reader.appendToStream(`notes-${randomUUID()}`, jsonEvent({ type: 'NoteTaken', data: {} }))).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
  });

  it('lets an editor append to a stream of its own and read it back', async () => {
    const editor = connect('desk-editor:e-secret@');
    const stream = `notes-${randomUUID()}`;
    const result = await editor.appendToStream(stream, jsonEvent({ type: 'NoteTaken', data: { text: 'over TLS' } }));
    expect(result.nextExpectedRevision).toBe(0n);
    const read = [];
    for await (const resolved of editor.readStream(stream)) read.push(resolved.event!.data);
    expect(read).toEqual([{ text: 'over TLS' }]);
  });
});
