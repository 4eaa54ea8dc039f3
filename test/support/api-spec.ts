import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { EVENT_STORE, type EventStore, type JsonObject } from '../../src/event-store/event-store';
import { AppliedPosition } from '../../src/projections/applied-position';
import { deepFreeze } from './given-when-then';
import type { GivenEvent } from './projection-spec';

/**
 * Given streams / when a request / then the answer and the new events: emmett's apiSpecification,
 * on the app built by createTestApp. The given events go straight into the app's own event store
 * (real SQLite :memory:), so a spec states the history it needs instead of replaying requests to
 * build it; the request goes through the whole HTTP stack; and the spec names every event the
 * request appended, none meaning none: a refusal that wrote something fails.
 */

export interface NewEvent {
  readonly stream: string;
  readonly type: string;
  readonly data?: JsonObject | object;
  readonly metadata?: JsonObject;
}

export interface ExpectedAnswer {
  readonly status: number;
  /** Matched with toMatchObject: the fields named, each in full. */
  readonly body?: unknown;
  readonly headers?: Record<string, string | RegExp>;
  /** Every event the request appended, in log order, each with at least the fields given. Absent: none. */
  readonly events?: readonly NewEvent[];
}

type Http = ReturnType<typeof request>;

/** `app` is read at each spec, so a file can boot its app once in beforeAll and hand the getter here. */
export function apiSpec(app: () => NestFastifyApplication) {
  return {
    given: (...events: readonly GivenEvent[]) => ({
      when: (send: (http: Http) => request.Test) => ({
        then: async (expected: ExpectedAnswer): Promise<void> => {
          const store = app().get<symbol, EventStore>(EVENT_STORE);
          for (const event of events.map(deepFreeze)) {
            const { position } = await store.appendToStream(event.stream, [
              { id: event.id ?? randomUUID(), type: event.type, data: event.data, metadata: event.metadata },
            ]);
            // The read models must hold the given history before the request reads them, as they would after a write through the API.
            expect(await app().get(AppliedPosition).waitFor(position, 5000)).toBe(true);
          }
          const head = await store.headPosition();
          const response = await send(request(app().getHttpServer()));
          expect({ status: response.status, body: response.body }).toMatchObject({ status: expected.status, ...(expected.body === undefined ? {} : { body: expected.body }) });
          for (const [name, value] of Object.entries(expected.headers ?? {})) {
            if (value instanceof RegExp) expect(response.headers[name]).toMatch(value);
            else expect(response.headers[name]).toBe(value);
          }
          const appended = await store.readAll({ fromPosition: head + 1n });
          expect(appended.map((e) => ({ stream: e.streamId, type: e.type, data: e.data, metadata: e.metadata }))).toMatchObject(expected.events ?? []);
        },
      }),
    }),
  };
}
