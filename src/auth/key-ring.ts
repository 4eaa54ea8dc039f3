import { KeyStore, StoredKey, hashSecret } from './key-store';

/** How long a read of the keys file is trusted before its version is checked again. */
const RECHECK_MS = 1000;

/**
 * The service's view of the keys file. The command line writes the file while the service runs;
 * the service checks the file's version (inode, mtime, size) at most once a second and re-reads
 * it when it changed, so a created or revoked key takes effect within a second, with no restart
 * and no stat per request under load.
 */
export class KeyRing {
  private byHash = new Map<string, StoredKey>();
  private byName = new Map<string, StoredKey>();
  private version = '';
  private checkedAt = -Infinity;

  constructor(
    private readonly store: KeyStore,
    private readonly now: () => number = Date.now,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.refresh(true);
  }

  /** The active key whose secret this is. */
  bySecret(secret: string): StoredKey | undefined {
    this.refresh();
    const key = this.byHash.get(hashSecret(secret));
    return key && !key.revokedAt ? key : undefined;
  }

  /** The active key of this name (a session names its key). */
  byKeyName(name: string): StoredKey | undefined {
    this.refresh();
    const key = this.byName.get(name);
    return key && !key.revokedAt ? key : undefined;
  }

  /**
   * True once any key was ever created, revoked ones included: revoking the last key must not
   * reopen writes to everyone.
   */
  configured(): boolean {
    this.refresh();
    return this.byName.size > 0;
  }

  private refresh(force = false): void {
    const now = this.now();
    if (!force && now - this.checkedAt < RECHECK_MS) return;
    this.checkedAt = now;
    let version: string;
    let keys: StoredKey[];
    try {
      version = this.store.version();
      if (version === this.version) return;
      keys = this.store.read();
    } catch (error) {
      // Unreadable at start: refuse to start. Later (a hand edit half-saved): keep the keys last
      // read and try again at the next check, rather than fail every request.
      if (force) throw error;
      this.onError(error);
      return;
    }
    this.byHash = new Map(keys.map((k) => [k.hash, k]));
    this.byName = new Map(keys.map((k) => [k.name, k]));
    this.version = version;
  }
}
