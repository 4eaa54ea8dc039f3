// Annals' stand-in for the EventStoreDB Node client's own test utilities (`@test-utils` in its repository), written for
// run.sh, not copied: each "node" is Annals' EventStoreDB endpoint over a fresh SQLite :memory: store, with TLS.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryEvent, jsonEvent, type EventData } from '@eventstore/db-client';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';
import { outsideWriter } from '../../../src/event-store/stream-ownership';
import { AnnalsGrpcServer } from '../../../src/grpc/grpc-server';

const dir = mkdtempSync(join(tmpdir(), 'annals-upstream-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
  '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
const cert = readFileSync(join(dir, 'cert.pem'));
const key = readFileSync(join(dir, 'key.pem'));

export function createTestNode() {
  let store: SqliteEventStore | undefined;
  let server: AnnalsGrpcServer | undefined;
  const node = {
    uri: '',
    certs: { root: cert },
    async up() {
      store = new SqliteEventStore({ path: ':memory:' });
      server = new AnnalsGrpcServer(outsideWriter(store), { host: '127.0.0.1', port: 0, tls: { cert, key } });
      node.uri = `127.0.0.1:${await server.start()}`;
    },
    async down() {
      await server?.stop();
      await store?.close();
    },
  };
  return node;
}

export const jsonTestEvents = (count = 4, type = 'test'): EventData[] =>
  [...Array(count).keys()].map((index) => jsonEvent({ type, data: { message: 'test', index } }));
export const binaryTestEvents = (count = 4, type = 'test'): EventData[] =>
  [...Array(count).keys()].map((index) => binaryEvent({ type, data: Buffer.from(`hello: ${index}`) }));
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of stream) all.push(item);
  return all;
}
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export class Defer {
  resolve!: () => void;
  reject!: (reason?: unknown) => void;
  promise = new Promise<void>((resolve, reject) => Object.assign(this, { resolve, reject }));
}
/** The version Annals advertises, 24.10.0, against a range such as `>=21.10`. */
export function matchServerVersion(strings: TemplateStringsArray, ...values: unknown[]): boolean {
  const range = String.raw(strings, ...values).trim();
  const match = /^(>=|<=|>|<|=)?\s*(\d+)\.(\d+)/.exec(range);
  if (!match) return true;
  const server = 24 * 100 + 10;
  const wanted = Number(match[2]) * 100 + Number(match[3]);
  return { '>=': server >= wanted, '<=': server <= wanted, '>': server > wanted, '<': server < wanted, '=': server === wanted, '': server === wanted }[match[1] ?? ''] ?? true;
}
/** The suite's version gates: a case for another server version is skipped, its title saying why (Annals advertises 24.10.0). */
const GATED = ' [skipped: written for an EventStoreDB version other than the 24.10.0 Annals advertises]';
export const optionalTest = (run: boolean): jest.It =>
  run ? test : (Object.assign((name: string, fn?: jest.ProvidesCallback, timeout?: number) => test.skip(`${name}${GATED}`, fn, timeout), test) as jest.It);
export const optionalDescribe = (run: boolean): jest.Describe =>
  run ? describe : (Object.assign((name: string, fn: jest.EmptyFunction) => describe.skip(`${name}${GATED}`, fn), describe) as jest.Describe);
