// Runs @kurrent/kurrentdb-client against Annals' gRPC endpoint in a process of its own: its generated
// protobuf code registers the same global names as @eventstore/db-client's, which the server uses, so
// the two cannot share a process. Reports each step as one JSON line on stdout; reads from stdin the
// stream of the last fact the parent recorded, then reports what its subscription saw and exits.
const { KurrentDBClient, jsonEvent, streamNameFilter, START, END, FORWARDS } = require('@kurrent/kurrentdb-client');
const { randomUUID } = require('node:crypto');
const { createInterface } = require('node:readline');

const report = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function main() {
  const client = KurrentDBClient.connectionString(process.argv[2]);
  const stream = `kurrent-${randomUUID()}`;
  const appended = await client.appendToStream(
    stream,
    [jsonEvent({ type: 'ProbeSent', data: { n: 1 } }), jsonEvent({ type: 'ProbeSent', data: { n: 2 } })],
    { expectedRevision: 'no_stream' },
  );
  report({ step: 'append', nextExpectedRevision: String(appended.nextExpectedRevision) });

  const events = [];
  for await (const resolved of client.readStream(stream)) events.push({ type: resolved.event.type, revision: String(resolved.event.revision), data: resolved.event.data });
  const [last] = await collect(client.readStream(stream, { direction: 'backwards', fromRevision: END, maxCount: 1 }));
  report({ step: 'readStream', events, lastRevision: String(last.event.revision) });

  const all = await collect(client.readAll({ direction: FORWARDS, fromPosition: START }));
  const positions = all.map((r) => r.event.position.commit);
  const filtered = await collect(client.readAll({ direction: FORWARDS, fromPosition: START, filter: streamNameFilter({ prefixes: [stream] }) }));
  report({
    step: 'readAll',
    count: all.length,
    increasing: positions.every((p, i) => i === 0 || p > positions[i - 1]),
    includesMine: all.some((r) => r.event.streamId === stream),
    filtered: filtered.map((r) => r.event.streamId === stream),
  });

  try {
    await client.appendToStream('fact-not-writable', jsonEvent({ type: 'FactRetracted', data: {} }));
    report({ step: 'domainAppend', refused: false });
  } catch (error) {
    report({ step: 'domainAppend', refused: true, type: error.type, name: error.constructor.name });
  }

  const subscription = client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: ['fact-'] }) });
  const seen = [];
  subscription.on('caughtUp', () => report({ step: 'caughtUp', seen: seen.length }));
  const reading = (async () => {
    for await (const resolved of subscription) seen.push(resolved.event.streamId);
  })();
  report({ step: 'subscribed' });
  const lines = createInterface({ input: process.stdin });
  for await (const awaited of lines) {
    const deadline = Date.now() + 10_000;
    while (!seen.includes(awaited) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    break;
  }
  await subscription.unsubscribe();
  await reading;
  report({ step: 'subscription', seen });
  await client.dispose();
}

async function collect(read) {
  const out = [];
  for await (const item of read) out.push(item);
  return out;
}

main().then(
  () => process.exit(0),
  (error) => {
    report({ step: 'error', message: String(error && error.stack ? error.stack : error) });
    process.exit(1);
  },
);
