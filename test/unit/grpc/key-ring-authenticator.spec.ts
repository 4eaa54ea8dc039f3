import { KeyRing } from '../../../src/auth/key-ring';
import { KeyStore } from '../../../src/auth/key-store';
import { keyRingAuthenticator } from '../../../src/grpc/grpc.module';
import { givenKeys } from '../../support/keys';

describe('gRPC callers are the API keys', () => {
  it('needs no credentials while no key exists', () => {
    const { file } = givenKeys({});
    expect(keyRingAuthenticator(new KeyRing(new KeyStore(file))).required).toBe(false);
  });

  it('takes the key name as username and its secret as password, with the key role', () => {
    const keys = givenKeys({ 'desk-reader': 'reader', 'desk-editor': 'editor' });
    const grpc = keyRingAuthenticator(new KeyRing(keys.store));
    expect(grpc.required).toBe(true);
    expect(grpc.authenticate('desk-editor', keys.secret('desk-editor'))).toEqual({ name: 'desk-editor', role: 'editor' });
    expect(grpc.authenticate('desk-reader', keys.secret('desk-reader'))).toEqual({ name: 'desk-reader', role: 'reader' });
  });

  it('refuses a secret under another key name, a wrong secret and a revoked key', () => {
    const keys = givenKeys({ 'desk-reader': 'reader', 'desk-editor': 'editor' });
    let now = 0;
    const ring = new KeyRing(keys.store, () => now);
    const grpc = keyRingAuthenticator(ring);
    expect(grpc.authenticate('desk-reader', keys.secret('desk-editor'))).toBeUndefined();
    expect(grpc.authenticate('desk-editor', 'annals_wrong')).toBeUndefined();
    keys.store.revoke('desk-editor');
    now += 2000; // past the key ring's re-check interval
    expect(grpc.authenticate('desk-editor', keys.secret('desk-editor'))).toBeUndefined();
    expect(grpc.required).toBe(true);
  });
});
