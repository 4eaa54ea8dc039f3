import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { sha256 } from '../event-store/canonical-json';

/**
 * C2SP signed-note (c2sp.org/signed-note) with Ed25519 keys, the envelope of tlog checkpoints:
 * the text, a blank line, then one line per signature, `— <key name> <base64(key id || signature)>`.
 * The key id is the first 4 bytes of SHA-256(<name> || "\n" || 0x01 || <32-byte public key>);
 * a verifier key is written `<name>+<hex key id>+<base64(0x01 || public key)>` and a signer key
 * `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`, as golang.org/x/mod/sumdb/note does.
 */

const ED25519 = 0x01;
const SIGNATURE_PREFIX = '— ';
/** DER prefixes that wrap a raw Ed25519 key as SPKI / PKCS#8, so node:crypto can use it. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export class NoteError extends Error {}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Buffer;
  readonly publicKey: Buffer;
}

export interface NoteSigner extends NoteVerifier {
  readonly privateKey: KeyObject;
}

function checkName(name: string): void {
  if (name === '' || /[\s+]/u.test(name)) throw new NoteError(`a key name must be non-empty, without spaces or '+': ${JSON.stringify(name)}`);
}

export function keyId(name: string, publicKey: Uint8Array): Buffer {
  return sha256(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([ED25519]), publicKey])).subarray(0, 4);
}

export function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  checkName(name);
  if (seed.length !== 32) throw new NoteError('an Ed25519 seed has 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  return { name, keyId: keyId(name, publicKey), publicKey, privateKey };
}

/** `PRIVATE+KEY+<name>+<id>+<base64>` → signer; the id must match the key. */
export function parseSignerKey(text: string): NoteSigner {
  const parts = text.trim().split('+');
  if (parts.length < 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') throw new NoteError('a signer key reads PRIVATE+KEY+<name>+<key id>+<base64 key>');
  const [name, id] = [parts[2], parts[3]];
  const key = Buffer.from(parts.slice(4).join('+'), 'base64');
  if (key.length !== 33 || key[0] !== ED25519) throw new NoteError('the signer key is not an Ed25519 key');
  const signer = signerFromSeed(name, key.subarray(1));
  if (signer.keyId.toString('hex') !== id) throw new NoteError('the signer key id does not match its key');
  return signer;
}

export function formatSignerKey(signer: NoteSigner): string {
  const seed = signer.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return `PRIVATE+KEY+${signer.name}+${signer.keyId.toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), seed]).toString('base64')}`;
}

export function formatVerifierKey(verifier: NoteVerifier): string {
  return `${verifier.name}+${verifier.keyId.toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), verifier.publicKey]).toString('base64')}`;
}

/** `<name>+<id>+<base64>` → verifier; the id must match the key (the base64 may itself hold '+'). */
export function parseVerifierKey(text: string): NoteVerifier {
  const parts = text.trim().split('+');
  if (parts.length < 3) throw new NoteError('a verifier key reads <name>+<key id>+<base64 key>');
  const [name, id] = [parts[0], parts[1]];
  checkName(name);
  const key = Buffer.from(parts.slice(2).join('+'), 'base64');
  if (key.length !== 33 || key[0] !== ED25519) throw new NoteError('the verifier key is not an Ed25519 key');
  const publicKey = key.subarray(1);
  if (keyId(name, publicKey).toString('hex') !== id) throw new NoteError('the verifier key id does not match its key');
  return { name, keyId: Buffer.from(id, 'hex'), publicKey };
}

export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith('\n') || text.includes('\n\n')) throw new NoteError('a note text ends with a newline and has no blank line');
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  return `${text}\n${SIGNATURE_PREFIX}${signer.name} ${Buffer.concat([signer.keyId, signature]).toString('base64')}\n`;
}

/**
 * Opens a signed note with one trusted key: returns its text if a signature by that key verifies,
 * throws otherwise. Signatures by other keys (witnesses, say) are ignored.
 */
export function openNote(note: string, verifier: NoteVerifier): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('malformed note: no blank line before the signatures');
  const text = note.slice(0, split + 1);
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, verifier.publicKey]), format: 'der', type: 'spki' });
  for (const line of note.slice(split + 2, -1).split('\n')) {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteError(`malformed signature line: ${JSON.stringify(line)}`);
    const [name, blob] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    const bytes = Buffer.from(blob ?? '', 'base64');
    if (name !== verifier.name || bytes.length < 4 || !bytes.subarray(0, 4).equals(verifier.keyId)) continue;
    if (verify(null, Buffer.from(text, 'utf8'), publicKey, bytes.subarray(4))) return text;
    throw new NoteError(`the signature by ${name} does not verify: the note was altered or signed by another key`);
  }
  throw new NoteError(`the note carries no signature by ${verifier.name}+${verifier.keyId.toString('hex')}`);
}
