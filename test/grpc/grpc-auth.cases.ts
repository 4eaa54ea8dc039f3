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
const revoked = new Set<string>();
const revocationListeners = new Set<(key: string) => void>();
const stubKeys: GrpcAuthenticator = {
  required: true,
  authenticate: (name, secret) => (keys[name]?.secret === secret && !revoked.has(name) ? keys[name].principal : undefined),
  onRevoked: (listener) => {
    revocationListeners.add(listener);
    return () => revocationListeners.delete(listener);
  },
};
/** What the key ring does when `annals keys revoke` reaches it. */
const revoke = (name: string) => {
  revoked.add(name);
  for (const listener of revocationListeners) listener(name);
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

  it('refuses appends to the service’s own annals- streams, where the keys are recorded', async () => {
    const editor = connect('desk-editor:e-secret@');
    await expect(editor.appendToStream('annals-keys', jsonEvent({ type: 'ApiKeyCreated', data: { name: 'me', role: 'admin', hash: 'a'.repeat(64) } }))).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
  });

  it('ends a revoked key’s open subscription and batch-append stream within a second', async () => {
    keys['desk-leaver'] = { secret: 'l-secret', principal: { name: 'desk-leaver', role: 'editor' } };
    const leaver = connect('desk-leaver:l-secret@');
    // The client keeps one batch-append stream open for its appends: the first opens it.
    await leaver.appendToStream(`notes-${randomUUID()}`, jsonEvent({ type: 'NoteTaken', data: {} }));
    const subscription = leaver.subscribeToAll({ fromPosition: 'start' });
    const ended = new Promise<string>((resolve) => {
      subscription.on('error', (error) => resolve(error.constructor.name));
      subscription.on('end', () => resolve('end'));
      subscription.on('close', () => resolve('close'));
    });
    await new Promise((resolve) => subscription.once('data', resolve));
    const at = Date.now();
    revoke('desk-leaver');
    await ended;
    expect(Date.now() - at).toBeLessThan(1000);
    await expect(leaver.appendToStream(`notes-${randomUUID()}`, jsonEvent({ type: 'NoteTaken', data: {} }))).rejects.toBeInstanceOf(AccessDeniedError);
  });
});
