import { AddressInfo, Socket, createServer } from 'node:net';
import { EventStoreError, InvalidEventError, RecordedEvent } from '../../src/event-store/event-store';
import {
  ClientResolvedEvent,
  EventStoreDbEventStore,
  eventTypesRegex,
  limitOf,
  matchesFilter,
  toActualRevision,
  toAllPosition,
  toClientExpectedRevision,
  toReadPosition,
  toRecordedEvent,
  toServerFilter,
} from '../../src/event-store/eventstoredb/eventstoredb-event-store';
import { GrpcTestEndpoint, startGrpcEndpoint } from '../support/grpc-endpoint';
import { describeEventStoreContract, event } from './event-store.contract';

const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;

// The contract needs a live EventStoreDB (`docker-compose up eventstore`). Without one it must show as
// skipped, never as passed. Each test uses a fresh stream category, so a shared server with history is fine.
const describeWithServer = connectionString ? describe : describe.skip;

describeWithServer(
  connectionString
    ? `EventStoreDB adapter against ${connectionString}`
    : 'EventStoreDB adapter (skipped: set EVENTSTORE_CONNECTION_STRING=esdb://localhost:2113?tls=false to run against a server)',
  () => {
    describeEventStoreContract('EventStoreDB', async () => EventStoreDbEventStore.fromConnectionString(connectionString!));

    it('answers a ping', async () => {
      const store = EventStoreDbEventStore.fromConnectionString(connectionString!);
      try {
        await expect(store.ping()).resolves.toBeUndefined();
      } finally {
        await store.close();
      }
    });
  },
);

describe("EventStoreDB adapter over Annals' own gRPC endpoint", () => {
  let endpoint: GrpcTestEndpoint;
  beforeAll(async () => {
    endpoint = await startGrpcEndpoint();
  });
  afterAll(async () => {
    await endpoint.stop();
  });

  describeEventStoreContract('EventStoreDB over Annals gRPC', async () => EventStoreDbEventStore.fromConnectionString(endpoint.connectionString));

  it('answers a ping', async () => {
    const store = EventStoreDbEventStore.fromConnectionString(endpoint.connectionString);
    try {
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  // A read of $all that stops at its count breaks out of `for await` while the server's answer, end
  // included, sits in the client's gRPC stream. That stream used to be left unpiped and paused, so it
  // never ended and close() (client.dispose()) waited for it forever.
  it('closes after reads of $all that stop at their count with the rest of the answer unread', async () => {
    for (let round = 0; round < 3; round++) {
      const store = EventStoreDbEventStore.fromConnectionString(endpoint.connectionString);
      const category = `closing${round}x${Date.now()}`;
      const mine = { streamNamePrefixes: [`${category}-`] };
      await store.appendToStream(`${category}-1`, Array.from({ length: 4 }, (_, n) => event({ n })));
      const all = await store.readAll({ filter: mine });
      await store.readAll({ direction: 'backwards', filter: mine, maxCount: 2 });
      await store.readAll({ fromPosition: all[1].position, filter: mine, maxCount: 2 });
      await store.readAll({ direction: 'backwards', fromPosition: all[2].position, filter: mine });
      await expect(closeWithin(store, 3_000)).resolves.toBe('closed');
    }
  });
});

function closeWithin(store: EventStoreDbEventStore, ms: number): Promise<'closed' | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)));
  return Promise.race([store.close().then(() => 'closed' as const), hung]).finally(() => clearTimeout(timer));
}

describe('EventStoreDB adapter without a server', () => {
  // Port 1 on loopback: nothing listens there, so every call fails fast with "unavailable".
  const nowhere = 'esdb://127.0.0.1:1?tls=false';

  it('fails a ping when the server does not answer', async () => {
    const store = EventStoreDbEventStore.fromConnectionString(nowhere, { pingTimeoutMs: 3_000 });
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(Error);
    } finally {
      await store.close();
    }
  });

  it('fails a ping after its deadline when the server accepts connections but never answers', async () => {
    const silent = createServer((socket) => sockets.add(socket));
    const sockets = new Set<Socket>();
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const store = EventStoreDbEventStore.fromConnectionString(`esdb://127.0.0.1:${port}?tls=false`, { pingTimeoutMs: 300 });
    try {
      await expect(store.ping()).rejects.toMatchObject({ constructor: EventStoreError, code: 'store-unavailable' });
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('ends a subscription loop with the error instead of hanging', async () => {
    const store = EventStoreDbEventStore.fromConnectionString(nowhere);
    try {
      const subscription = store.subscribeToAll({ fromPosition: 'start' });
      const loop = (async () => {
        for await (const _ of subscription) return 'yielded';
        return 'ended';
      })();
      await expect(loop).rejects.toBeInstanceOf(Error);
    } finally {
      await store.close();
    }
  });

  it('ends at once the loop of a subscription closed before the loop started', async () => {
    const store = EventStoreDbEventStore.fromConnectionString(nowhere);
    try {
      const subscription = store.subscribeToAll({ fromPosition: 'end' });
      await subscription.close();
      const seen: RecordedEvent[] = [];
      for await (const e of subscription) seen.push(e);
      expect(seen).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('refuses calls once closed', async () => {
    const store = EventStoreDbEventStore.fromConnectionString(nowhere);
    await store.close();
    await expect(store.headPosition()).rejects.toThrow('closed');
    expect(() => store.subscribeToAll()).toThrow('closed');
  });
});

describe('EventStoreDB adapter mappings', () => {
  const beyondDoubles = 2n ** 53n + 1n; // not representable as a Number

  describe('expected revision', () => {
    it('maps each port value to the client value of the same meaning', () => {
      expect(toClientExpectedRevision('no_stream')).toBe('no_stream');
      expect(toClientExpectedRevision('stream_exists')).toBe('stream_exists');
      expect(toClientExpectedRevision('any')).toBe('any');
      expect(toClientExpectedRevision(0n)).toBe(0n);
      expect(toClientExpectedRevision(beyondDoubles)).toBe(beyondDoubles);
    });

    it('rejects a negative revision as bad input', () => {
      expect(() => toClientExpectedRevision(-1n)).toThrow(InvalidEventError);
      expect(() => toClientExpectedRevision(-1n)).toThrow(expect.objectContaining({ field: 'expectedRevision' }));
    });

    it('reads the actual revision of a missing stream as no_stream, whichever way the client spells it', () => {
      expect(toActualRevision('no_stream')).toBe('no_stream');
      expect(toActualRevision(-1n)).toBe('no_stream');
      expect(toActualRevision(0n)).toBe(0n);
      expect(toActualRevision(beyondDoubles)).toBe(beyondDoubles);
    });
  });

  describe('positions', () => {
    it('maps a port position to the same commit and prepare position, exactly', () => {
      expect(toAllPosition(beyondDoubles)).toEqual({ commit: beyondDoubles, prepare: beyondDoubles });
      expect(toReadPosition(beyondDoubles)).toEqual({ commit: beyondDoubles, prepare: beyondDoubles });
    });

    it('maps start and end, and positions before the first event to start', () => {
      expect(toReadPosition('start')).toBe('start');
      expect(toReadPosition('end')).toBe('end');
      expect(toReadPosition(-1n)).toBe('start');
      expect(toReadPosition(0n)).toEqual({ commit: 0n, prepare: 0n });
    });
  });

  describe('filters', () => {
    it('matches event types exactly, with regex metacharacters escaped', () => {
      const regex = new RegExp(eventTypesRegex(['Fact.Recorded', 'a+b', 'Claim(x)|y', 'Figure-Revised']));
      for (const type of ['Fact.Recorded', 'a+b', 'Claim(x)|y', 'Figure-Revised']) expect(regex.test(type)).toBe(true);
      for (const type of ['FactXRecorded', 'Fact.RecordedX', 'xFact.Recorded', 'aab', 'y', 'Claim(x)', 'a+b|Fact.Recorded']) {
        expect(regex.test(type)).toBe(false);
      }
    });

    it('matches no type at all for an empty list', () => {
      const regex = new RegExp(eventTypesRegex([]));
      expect(['', 'FactRecorded', '$>'].some((t) => regex.test(t))).toBe(false);
    });

    it('sends stream-name prefixes and event types to the server as EventStoreDB filters', () => {
      expect(toServerFilter({ streamNamePrefixes: ['fact-', 'figure-'] })).toMatchObject({
        filterOn: 'streamName',
        prefixes: ['fact-', 'figure-'],
      });
      expect(toServerFilter({ eventTypes: ['FactRecorded'] })).toMatchObject({ filterOn: 'eventType', regex: '^(?:FactRecorded)$' });
    });

    it('excludes system event types on the server when no filter is given', () => {
      const filter = toServerFilter(undefined);
      expect(filter.filterOn).toBe('eventType');
      const regex = new RegExp('regex' in filter ? filter.regex : '');
      expect(regex.test('FactRecorded')).toBe(true);
      expect(regex.test('$>')).toBe(false);
      expect(regex.test('$metadata')).toBe(false);
    });

    it('turns an empty prefix list into a filter that matches nothing, as the SQLite adapter does', () => {
      const filter = toServerFilter({ streamNamePrefixes: [] });
      expect(filter.filterOn).toBe('eventType');
      expect(new RegExp('regex' in filter ? filter.regex : '').test('FactRecorded')).toBe(false);
      expect(matchesFilter({ streamId: 'fact-1', type: 'FactRecorded' }, { streamNamePrefixes: [] })).toBe(false);
    });

    it('applies the same filter on this side', () => {
      const e = { streamId: 'fact-1', type: 'FactRecorded' };
      expect(matchesFilter(e, undefined)).toBe(true);
      expect(matchesFilter(e, { streamNamePrefixes: ['figure-', 'fact-'] })).toBe(true);
      expect(matchesFilter(e, { streamNamePrefixes: ['fact-2'] })).toBe(false);
      expect(matchesFilter(e, { eventTypes: ['FactRecorded'] })).toBe(true);
      expect(matchesFilter(e, { eventTypes: ['FactRecord'] })).toBe(false);
    });
  });

  describe('recorded events', () => {
    const created = new Date('2019-03-23T10:15:00.123Z');
    const resolved = (overrides: Partial<NonNullable<ClientResolvedEvent['event']>> = {}): ClientResolvedEvent => ({
      event: {
        streamId: 'fact-baghouz',
        id: '5f0c1a52-6a3e-4d7e-9b1a-0e2c3d4f5a6b',
        revision: beyondDoubles,
        type: 'FactRecorded',
        created,
        data: { title: 'Baghouz cleared' },
        metadata: { actor: 'desk' },
        position: { commit: beyondDoubles + 10n, prepare: beyondDoubles + 10n },
        ...overrides,
      },
    });

    it('builds the port envelope with exact revision and commit position and the server time as a Date', () => {
      const event = toRecordedEvent(resolved()) as RecordedEvent;
      expect(event).toEqual({
        id: '5f0c1a52-6a3e-4d7e-9b1a-0e2c3d4f5a6b',
        streamId: 'fact-baghouz',
        revision: beyondDoubles,
        position: beyondDoubles + 10n,
        type: 'FactRecorded',
        data: { title: 'Baghouz cleared' },
        metadata: { actor: 'desk' },
        recordedAt: created,
      });
      expect(event.recordedAt).toBeInstanceOf(Date);
    });

    it('gives {} as metadata when the event has none, and parses metadata left as bytes', () => {
      expect(toRecordedEvent(resolved({ metadata: undefined }))?.metadata).toEqual({});
      expect(toRecordedEvent(resolved({ metadata: Buffer.from('{"actor":"airwars"}') }))?.metadata).toEqual({ actor: 'airwars' });
      expect(toRecordedEvent(resolved({ metadata: Uint8Array.from([0xff]) }))?.metadata).toEqual({});
    });

    it('skips system events and events whose data is not a JSON object', () => {
      expect(toRecordedEvent(resolved({ type: '$>' }))).toBeUndefined();
      expect(toRecordedEvent(resolved({ streamId: '$stats-127.0.0.1:2113' }))).toBeUndefined();
      expect(toRecordedEvent(resolved({ data: Uint8Array.from([1, 2, 3]) }))).toBeUndefined();
      expect(toRecordedEvent(resolved({ data: [1, 2] }))).toBeUndefined();
      expect(toRecordedEvent({})).toBeUndefined();
    });

    it('takes the commit position of the resolved event when the record has none', () => {
      const withoutRecordPosition = { ...resolved({ position: undefined }), commitPosition: 42n };
      expect(toRecordedEvent(withoutRecordPosition)?.position).toBe(42n);
    });

    it('refuses an event without a position rather than inventing one', () => {
      expect(() => toRecordedEvent(resolved({ position: undefined }))).toThrow(EventStoreError);
      const sentinel = 2n ** 64n - 1n;
      expect(() => toRecordedEvent(resolved({ position: { commit: sentinel, prepare: sentinel } }))).toThrow(
        expect.objectContaining({ code: 'unsupported-server' }),
      );
    });
  });

  it('reads counts as the SQLite adapter does: none means no limit, negative means no limit', () => {
    expect(limitOf(undefined)).toBeUndefined();
    expect(limitOf(-1)).toBeUndefined();
    expect(limitOf(0)).toBe(0);
    expect(limitOf(2.7)).toBe(2);
  });
});
