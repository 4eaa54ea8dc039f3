import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore, type Role } from '../../src/auth/key-store';

export interface TestKeys {
  /** The keys file, for createTestApp({ auth: { keysFile } }). */
  readonly file: string;
  readonly store: KeyStore;
  /** `Bearer <secret>` of the key with this name. */
  bearer(name: string): string;
  secret(name: string): string;
}

/** API keys in a fresh temp keys file: `givenKeys({ 'desk-1': 'editor', cms: { role: 'editor', onBehalfOf: true } })`. */
export function givenKeys(keys: Record<string, Role | { role: Role; onBehalfOf: boolean }>): TestKeys {
  const file = join(mkdtempSync(join(tmpdir(), 'annals-keys-')), 'keys.json');
  const store = new KeyStore(file);
  const secrets = new Map<string, string>();
  for (const [name, spec] of Object.entries(keys)) {
    const { role, onBehalfOf } = typeof spec === 'string' ? { role: spec, onBehalfOf: false } : spec;
    secrets.set(name, store.create({ name, role, onBehalfOf }).secret);
  }
  const secret = (name: string): string => {
    const value = secrets.get(name);
    if (!value) throw new Error(`no test key named ${name}`);
    return value;
  };
  return { file, store, secret, bearer: (name) => `Bearer ${secret(name)}` };
}
