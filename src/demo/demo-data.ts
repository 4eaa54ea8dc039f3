import type { INestApplicationContext } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { factStream } from '../domain/fact/fact';
import { figureStream } from '../domain/figure/figure';
import { EVENT_STORE, StreamNotFoundError, type EventStore } from '../event-store/event-store';
import { eventIdFromKey, idFromKey } from '../event-store/handle-command';
import { Importer, type ImportRecord } from '../import/importer';
import { readRecords } from '../import/read-records';

/** The demo file: the same bodies a client would POST. */
export interface DemoData {
  readonly facts: readonly Record<string, unknown>[];
  readonly figures: readonly (Record<string, unknown> & { id: string; claims?: readonly Record<string, unknown>[] })[];
}

export const DEMO_DATA_FILE = join(__dirname, '..', '..', 'data', 'demo.json');
export const DEMO_ACTOR = 'annals-demo-import';

export class DemoImportError extends Error {}

interface DemoRequest {
  readonly url: string;
  readonly body: Record<string, unknown>;
  /** The stream the request writes to. */
  readonly stream: string;
  /** The key makes a re-run after a crash mid-import a no-op for what was already written. */
  readonly idempotencyKey: string;
}

function demoRequests(file: string): DemoRequest[] {
  const demo = JSON.parse(readFileSync(file, 'utf8')) as DemoData;
  const request = (url: string, body: Record<string, unknown>, stream: string): DemoRequest => ({
    url,
    body,
    stream,
    idempotencyKey: `demo:${url}:${String(body.id)}`,
  });
  return [
    ...demo.facts.map((body) => request('/facts', body, factStream(String(body.id)))),
    ...demo.figures.flatMap(({ claims = [], ...figure }) => [
      request('/figures', figure, figureStream(figure.id)),
      ...claims.map((body) => request(`/figures/${figure.id}/claims`, body, figureStream(figure.id))),
    ]),
  ];
}

/**
 * Imports the demo data as any JSON import is: through the core's importer, so the API's DTO
 * validation, decide, append and the projection wait, the rules any client obeys, written as the
 * demo actor. Each record carries the idempotency key it always had (`demo:<url>:<id>`), so its
 * events' ids tell demoImportState how far an earlier start got. A record already stored, even
 * from an earlier version of the demo file, stays as it is. Returns the number of records.
 */
export async function importDemoData(app: INestApplicationContext, file = DEMO_DATA_FILE): Promise<number> {
  const { records, unreadable } = readRecords(readFileSync(file, 'utf8'), 'json');
  const url = (record: ImportRecord) => (record.kind === 'fact' ? '/facts' : record.kind === 'figure' ? '/figures' : `/figures/${String(record.figureId)}/claims`);
  const summary = await app.get(Importer).run(
    records,
    { actor: DEMO_ACTOR, keepStored: true, idempotencyKey: (record, id) => `demo:${url(record)}:${id}` },
    unreadable,
  );
  if (summary.rejected > 0) {
    const first = summary.rejections[0];
    throw new DemoImportError(`demo import failed at ${first.at} (${first.id}): ${first.field}: ${first.reason}`);
  }
  return records.length;
}

/**
 * Where the log stands with the demo: 'empty' (nothing stored but the service's own events), 'partial' (the demo's first write is
 * there but not its last: an import stopped half-way), 'complete', or 'other' (the log holds other
 * data and no demo: it is left alone). The requests run in order, so the last one is the marker.
 */
export async function demoImportState(store: EventStore, file = DEMO_DATA_FILE): Promise<'empty' | 'partial' | 'complete' | 'other'> {
  if ((await store.headPosition()) < 0n || (await holdsOnlyServiceEvents(store))) return 'empty';
  const requests = demoRequests(file);
  if (requests.length === 0 || (await written(store, requests[requests.length - 1]))) return 'complete';
  return (await written(store, requests[0])) ? 'partial' : 'other';
}

/**
 * A log that holds nothing but the service's own events (keys made with `annals keys` before the
 * first start) is empty of data: the demo still belongs in it.
 */
async function holdsOnlyServiceEvents(store: EventStore): Promise<boolean> {
  const first = await store.readAll({ maxCount: SERVICE_EVENTS_SEEN });
  return first.length < SERVICE_EVENTS_SEEN && first.every((event) => event.streamId.startsWith('annals-'));
}

const SERVICE_EVENTS_SEEN = 100;

async function written(store: EventStore, request: DemoRequest): Promise<boolean> {
  // The id handleCommand derives now, or the one it derived before ids covered the actor.
  const firstEventIds = [eventIdFromKey(DEMO_ACTOR, request.idempotencyKey, request.stream, 0), idFromKey(request.idempotencyKey, request.stream, 0)];
  try {
    return (await store.readStream(request.stream)).some((event) => firstEventIds.includes(event.id));
  } catch (error) {
    if (error instanceof StreamNotFoundError) return false;
    throw error;
  }
}

/**
 * At start: imports the demo into an empty store, and completes an import that an earlier start
 * left half-way (each request already applied is a no-op by its idempotency key). A store that
 * holds other data is left alone.
 */
export async function ensureDemoData(app: INestApplicationContext, file = DEMO_DATA_FILE): Promise<{ requests: number; resumed: boolean } | undefined> {
  const state = await demoImportState(app.get<EventStore>(EVENT_STORE), file);
  if (state !== 'empty' && state !== 'partial') return undefined;
  return { requests: await importDemoData(app, file), resumed: state === 'partial' };
}
