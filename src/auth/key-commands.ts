import { randomUUID } from 'node:crypto';
import { renameSync } from 'node:fs';
import { EventStore, JsonObject, readStreamOrNone, WrongExpectedVersionError } from '../event-store/event-store';
import { currentState, handleCommand } from '../event-store/handle-command';
import { apiKeys, KEYS_STREAM, SESSIONS_STREAM, type ApiKeyEvent, type ApiKeysState } from './api-keys';
import { KeyRing } from './key-ring';
import { hashSecret, newSecret, readKeysFile, type KeyInfo } from './key-store';

/**
 * The keys' one write path, shared by `annals keys` and the service: decided by the apiKeys decider
 * against the stream read, appended at that revision. A second process (the command line beside a
 * running server) appends to the same log; the server's key ring follows it (key-ring-feed.ts).
 */
export async function createKey(
  store: EventStore,
  input: { name: string; role: string; onBehalfOf?: boolean },
  actor: string,
): Promise<{ secret: string; key: KeyInfo }> {
  const secret = newSecret();
  await handleCommand(store, apiKeys, { kind: 'create', name: input.name, role: input.role, hash: hashSecret(secret), onBehalfOf: input.onBehalfOf ?? false }, meta(actor));
  const key = (await listKeys(store)).find((k) => k.name === input.name) as KeyInfo;
  return { secret, key };
}

export async function revokeKey(store: EventStore, name: string, actor: string): Promise<KeyInfo> {
  await handleCommand(store, apiKeys, { kind: 'revoke', name }, meta(actor));
  return (await listKeys(store)).find((k) => k.name === name) as KeyInfo;
}

export async function listKeys(store: EventStore): Promise<KeyInfo[]> {
  const ring = new KeyRing();
  await loadKeyRing(store, ring);
  return ring.list();
}

/** Records a logout, so that every process (and every later start) refuses the session's token. */
export async function endSession(store: EventStore, session: { session: string; key: string; expiresAt: Date }): Promise<void> {
  const data = { session: session.session, key: session.key, expiresAt: session.expiresAt.toISOString() };
  await store.appendToStream(SESSIONS_STREAM, [{ id: randomUUID(), type: 'SessionEnded', data, metadata: { actor: session.key, correlationId: randomUUID() } }]);
}

/**
 * Folds the keys' streams into `ring` and answers the position to follow the log from: the head
 * taken before reading, so an event appended meanwhile is seen again live (applying is idempotent).
 */
export async function loadKeyRing(store: EventStore, ring: KeyRing): Promise<bigint> {
  const head = await store.headPosition();
  // Asked on every anonymous write while no key exists (access.guard.ts): no exception per absent stream,
  // and no sessions looked for without a key (keys are revoked, never removed: no keys stream, no session).
  const keys = await readStreamOrNone(store, KEYS_STREAM);
  if (keys === undefined) return head;
  for (const event of keys) ring.apply(event);
  for (const event of (await readStreamOrNone(store, SESSIONS_STREAM)) ?? []) ring.apply(event);
  return head;
}

/**
 * Carries the keys of a keys.json (earlier versions kept keys there) into the log, once: only while
 * the log has no key yet. With a durable log the file is then renamed `<file>.migrated`, so that
 * nobody edits a file the service no longer reads. Answers what happened, for the caller to log.
 */
export async function importKeysFile(store: EventStore, file: string, durable: boolean): Promise<{ imported: number; ignored: boolean } | undefined> {
  const keys = readKeysFile(file);
  if (keys === undefined) return undefined;
  const { revision } = await currentState(store, apiKeys, KEYS_STREAM);
  if (revision !== 'no_stream') return { imported: 0, ignored: true };
  let state: ApiKeysState = apiKeys.initialState;
  const events: ApiKeyEvent[] = [];
  const decide = (command: Parameters<typeof apiKeys.decide>[0]) => {
    for (const event of apiKeys.decide(command, state, meta(IMPORT_ACTOR))) {
      events.push(event);
      state = apiKeys.evolve(state, event);
    }
  };
  for (const key of keys) {
    decide({ kind: 'create', name: key.name, role: key.role, hash: key.hash, onBehalfOf: key.onBehalfOf === true, createdAt: key.createdAt });
    if (key.revokedAt) decide({ kind: 'revoke', name: key.name, revokedAt: key.revokedAt });
  }
  const metadata = { actor: IMPORT_ACTOR, reason: `carried over from ${file}`, correlationId: randomUUID() };
  if (events.length > 0) {
    try {
      await store.appendToStream(KEYS_STREAM, events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data as unknown as JsonObject, metadata })), { expectedRevision: 'no_stream' });
    } catch (error) {
      // Another process carried them over first: the log holds them either way.
      if (!(error instanceof WrongExpectedVersionError)) throw error;
    }
  }
  if (durable) renameSync(file, `${file}.migrated`);
  return { imported: keys.length, ignored: false };
}

/** The service's own actor for keys carried over from a file. */
const IMPORT_ACTOR = 'annals-keys-import';

function meta(actor: string) {
  return { actor, correlationId: randomUUID() };
}
