import { arr, b64, nullable, obj, str, type Schema } from './openapi-schema';

const mismatch = obj(
  {
    kind: str(undefined, { enum: ['edited', 'missing', 'reordered', 'foreign', 'truncated', 'rewritten'] }),
    detail: str(),
    leafIndex: { type: 'integer' },
    position: str(),
    eventId: str(),
    streamId: str(),
  },
  ['kind', 'detail'],
  { description: 'the first event that does not match its chain or the signed tree, and how' },
);
const verifyReport = obj(
  {
    ok: { type: 'boolean' },
    events: { type: 'integer' },
    streams: { type: 'integer' },
    chainedEvents: { type: 'integer' },
    legacyEvents: { type: 'integer', description: 'unhashed first events of streams written before hash chains' },
    legacyStreams: { type: 'integer' },
    treeSize: { type: 'integer' },
    rootHash: b64('the Merkle root recomputed from the whole log'),
    checkpoint: nullable(obj({ size: { type: 'integer' }, rootHash: b64('the signed root'), matches: { type: 'boolean' } }, ['size', 'rootHash', 'matches'])),
    firstMismatch: nullable(mismatch),
    counts: { type: 'object', additionalProperties: { type: 'integer' }, description: 'mismatches by kind' },
  },
  ['ok', 'events', 'streams', 'chainedEvents', 'legacyEvents', 'legacyStreams', 'treeSize', 'rootHash', 'checkpoint', 'firstMismatch', 'counts'],
);
const integrityState = obj(
  { status: str(undefined, { enum: ['verified', 'failed'] }), reason: str('why the log failed its check (failed only)'), report: verifyReport },
  ['status'],
);
const proofHashes = arr(b64('a node hash of the proof, RFC 9162'));
/** The integrity routes' answers (integrity.controller.ts): plain text notes and keys, JSON proofs and reports, by handler. */
export const INTEGRITY_ANSWERS = {
  checkpoint: { 'text/plain': str('the latest checkpoint, a C2SP tlog-checkpoint in an Ed25519 signed note') },
  checkpointJson: {
    'application/json': obj(
      {
        origin: str(),
        treeSize: { type: 'integer' },
        rootHash: b64('the Merkle root'),
        time: nullable(str('the record time of the last event the tree covers', { format: 'date-time' })),
        lastPosition: nullable(str('the log position of that event')),
        note: str('the signed note'),
        verifierKey: str('the signed-note verifier key: <name>+<keyid>+<base64>'),
      },
      ['origin', 'treeSize', 'rootHash', 'time', 'lastPosition', 'note', 'verifierKey'],
    ),
  },
  publicKey: {
    'application/json': obj(
      { algorithm: str(undefined, { enum: ['Ed25519'] }), name: str(), keyId: str('hex'), publicKey: b64('the raw Ed25519 public key'), verifierKey: str() },
      ['algorithm', 'name', 'keyId', 'publicKey', 'verifierKey'],
    ),
  },
  verifierKey: { 'text/plain': str('the signed-note verifier key: <name>+<keyid>+<base64>') },
  inclusion: {
    'application/json': obj(
      {
        type: str(undefined, { enum: ['inclusion'] }),
        treeSize: { type: 'integer' },
        leafIndex: { type: 'integer' },
        position: str(),
        leaf: str('the canonical JSON of the recorded event (RFC 8785); absent when content of the event was withheld since'),
        withheld: { type: 'boolean', description: 'true when content of the event was withheld since (docs/erasure.md): the leaf hash is the one it was recorded with, and no leaf is given' },
        leafHash: b64('SHA-256(0x00 || leaf)'),
        rootHash: b64('the root at treeSize'),
        proof: proofHashes,
        checkpoint: nullable(str('the signed note of that size, when it is the latest')),
      },
      ['type', 'treeSize', 'leafIndex', 'position', 'leafHash', 'rootHash', 'proof', 'checkpoint'],
    ),
  },
  consistency: {
    'application/json': obj(
      {
        type: str(undefined, { enum: ['consistency'] }),
        from: { type: 'integer' },
        to: { type: 'integer' },
        fromRootHash: b64('the root at from'),
        toRootHash: b64('the root at to'),
        proof: proofHashes,
        checkpoint: nullable(str('the signed note of size to, when it is the latest')),
      },
      ['type', 'from', 'to', 'fromRootHash', 'toRootHash', 'proof', 'checkpoint'],
    ),
  },
  verify: { 'application/json': verifyReport },
  integrity: { 'application/json': integrityState },
  acknowledge: {
    'application/json': obj(
      { report: verifyReport, checkpoint: { type: 'object', description: 'the checkpoint signed after the acknowledgement' }, position: str('the position of the IntegrityMismatchAcknowledged event') },
      ['report', 'checkpoint', 'position'],
    ),
  },
} satisfies Record<string, Record<string, Schema>>;
