import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config';
import { integrityFiles, loadOrCreateSigner } from '../../../src/integrity/integrity-files';
import { formatSignerKey } from '../../../src/integrity/signed-note';

/** What every replica must be given alike comes from configuration: the session secret as a file (a mounted secret), the signing key as a file. */
describe('secrets shared by replicas', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annals-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the session secret from ANNALS_SESSION_SECRET_FILE, without its trailing newline', () => {
    const file = join(dir, 'session-secret');
    writeFileSync(file, `${'s'.repeat(40)}\n`);
    expect(loadConfig({ ANNALS_SESSION_SECRET_FILE: file }).auth.sessionSecret).toBe('s'.repeat(40));
  });

  it('fails closed on a session secret file that is missing or short, or given beside ANNALS_SESSION_SECRET', () => {
    expect(() => loadConfig({ ANNALS_SESSION_SECRET_FILE: join(dir, 'absent') })).toThrow(ConfigError);
    const short = join(dir, 'short');
    writeFileSync(short, 'too short\n');
    expect(() => loadConfig({ ANNALS_SESSION_SECRET_FILE: short })).toThrow(/at least 32 bytes/);
    writeFileSync(join(dir, 'ok'), 'x'.repeat(32));
    expect(() => loadConfig({ ANNALS_SESSION_SECRET_FILE: join(dir, 'ok'), ANNALS_SESSION_SECRET: 'y'.repeat(32) })).toThrow(/not both/);
  });

  it('gives replicas starting together on one volume the first signing key made, never one each', () => {
    const files = integrityFiles(undefined, join(dir, 'signing-key'));
    const first = loadOrCreateSigner(files, 'annals.test/log');
    const second = loadOrCreateSigner(files, 'annals.test/log');
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(formatSignerKey(second.signer)).toBe(formatSignerKey(first.signer));
    expect(readFileSync(join(dir, 'signing-key'), 'utf8')).toBe(`${formatSignerKey(first.signer)}\n`);
  });
});
