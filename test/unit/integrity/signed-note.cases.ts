import { checkpointText, openCheckpoint, parseCheckpointText, signCheckpoint } from '../../../src/integrity/checkpoint';
import { formatSignerKey, formatVerifierKey, openNote, parseSignerKey, parseVerifierKey, signNote, signerFromSeed } from '../../../src/integrity/signed-note';

/**
 * Known answers from golang.org/x/mod/sumdb/note (note.go's package example and note_test.go): a
 * signer key, its verifier key, and the note it signs. Ed25519 is deterministic, so signing the
 * same text must give the same bytes.
 */
const GO_SIGNER = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VERIFIER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

describe('signed notes (C2SP signed-note, Ed25519)', () => {
  it('reproduces the Go reference note byte for byte and derives its verifier key', () => {
    const signer = parseSignerKey(GO_SIGNER);
    expect(formatVerifierKey(signer)).toBe(GO_VERIFIER);
    expect(formatSignerKey(signer)).toBe(GO_SIGNER);
    expect(signNote(GO_TEXT, signer)).toBe(GO_NOTE);
  });

  it('opens the reference note with its verifier key and refuses an altered one or another key', () => {
    const verifier = parseVerifierKey(GO_VERIFIER);
    expect(openNote(GO_NOTE, verifier)).toBe(GO_TEXT);
    expect(() => openNote(GO_NOTE.replace('cryptography', 'cryptographY'), verifier)).toThrow(/does not verify/);
    const other = signerFromSeed('PeterNeumann', Buffer.alloc(32, 7));
    expect(() => openNote(GO_NOTE, other)).toThrow(/no signature/);
    expect(() => parseVerifierKey(GO_VERIFIER.replace('c74f20a3', 'c74f20a4'))).toThrow(/key id/);
  });

  it('signs and opens a tlog checkpoint', () => {
    const signer = signerFromSeed('annals.example/log', Buffer.alloc(32, 1));
    const head = { origin: 'annals.example/log', size: 20852163, rootHash: Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64') };
    expect(checkpointText(head)).toBe('annals.example/log\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n');
    const note = signCheckpoint(head, signer);
    expect(note).toMatch(/^annals\.example\/log\n20852163\nCsUYapGGPo4dkMgIAUqom\/Xajj7h2fB2MPA3j2jxq2I=\n\n— annals\.example\/log [A-Za-z0-9+/]{91}=\n$/);
    expect(openCheckpoint(note, parseVerifierKey(formatVerifierKey(signer)))).toEqual(head);
    expect(() => openCheckpoint(note.replace('20852163', '20852164'), signer)).toThrow();
    expect(() => parseCheckpointText('log\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n')).toThrow(/size/);
  });
});
