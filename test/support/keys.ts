import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSecret, newSecret, type Role, type StoredKey } from '../../src/auth/key-store';

export interface TestKeys {
  /**
   * A keys file as earlier versions kept it, for createTestApp({ auth: { keysFile } }): the service
   * carries its keys into the log at start (kept in place for an in-memory log, so each test app reads it).
   */
  readonly file: string;
  /** `Bearer <secret>` of the key with this name. */
  bearer(name: string): string;
  secret(name: string): string;
}

/** API keys in a fresh temp keys file: `givenKeys({ 'desk-1': 'editor', cms: { role: 'editor', onBehalfOf: true } })`. */
export function givenKeys(keys: Record<string, Role | { role: Role; onBehalfOf: boolean }>): TestKeys {
  const file = join(mkdtempSync(join(tmpdir(), 'annals-keys-')), 'keys.json');
  const secrets = new Map<string, string>();
  const stored: StoredKey[] = [];
  for (const [name, spec] of Object.entries(keys)) {
    const { role, onBehalfOf } = typeof spec === 'string' ? { role: spec, onBehalfOf: false } : spec;
    const secret = newSecret();
    secrets.set(name, secret);
    stored.push({ name, role, hash: hashSecret(secret), onBehalfOf, createdAt: new Date().toISOString() });
  }
  writeFileSync(file, JSON.stringify({ version: 1, keys: stored }), { mode: 0o600 });
  const secret = (name: string): string => {
    const value = secrets.get(name);
    if (!value) throw new Error(`no test key named ${name}`);
    return value;
  };
  return { file, secret, bearer: (name) => `Bearer ${secret(name)}` };
}
