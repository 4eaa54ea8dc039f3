import { WebhookSecrets } from '../../../src/watches/shared-watches';

describe('webhook secrets as the log holds them', () => {
  const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

  it('are sealed (never in clear, never twice alike) and opened by any replica given the same session secret', () => {
    const one = new WebhookSecrets('the session secret every replica is given');
    const other = new WebhookSecrets('the session secret every replica is given');
    const sealed = one.seal(secret);
    expect(sealed).not.toContain(secret.slice('whsec_'.length, 20));
    expect(one.seal(secret)).not.toBe(sealed);
    expect(other.open(sealed)).toBe(secret);
  });

  it('refuse to open under another session secret, saying which setting to align', () => {
    const sealed = new WebhookSecrets('one').seal(secret);
    expect(() => new WebhookSecrets('another').open(sealed)).toThrow(/ANNALS_SESSION_SECRET_FILE/);
  });

  it('pass a secret stored in clear (a single node\'s watches.db) through as it is', () => {
    expect(new WebhookSecrets('any').open(secret)).toBe(secret);
  });
});
