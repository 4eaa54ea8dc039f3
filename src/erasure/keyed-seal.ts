import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KEY_UNAVAILABLE, isSealed, mapSealed, SEALED_PREFIX, type SubjectSeal } from '../event-store/subject-seal';
import type { SubjectKeyStore } from './subject-key-store';

/**
 * The subject seal over a key store: AES-256-GCM per value, the subject's id as associated data
 * (a sealed value moved to another subject fails to open). A sealed value reads
 * `annals:sealed:v1:<subject id>:<base64url(iv ‖ tag ‖ ciphertext)>`.
 *
 * What is marked (sealed on write): the names of entities of type `person` in FactRecorded and in
 * a FactCorrected's changed entities. Opening is generic: any sealed string anywhere in an event's
 * data is opened, so marking more fields later needs no change on the read path.
 */
export class KeyedSubjectSeal implements SubjectSeal {
  /** Subjects whose sealed values were met without a key and without an erasure: reported on /health. */
  readonly unavailable = new Set<string>();

  constructor(private readonly keys: SubjectKeyStore) {}

  seal<E extends { readonly type: string; readonly data: unknown }>(event: E): E {
    if (event.type === 'FactRecorded') return this.sealEntitiesAt(event, (data) => data, (data, entities) => ({ ...data, entities }));
    if (event.type === 'FactCorrected') {
      return this.sealEntitiesAt(
        event,
        (data) => (isRecord(data.changes) ? data.changes : undefined),
        (data, entities) => ({ ...data, changes: { ...(data.changes as Record<string, unknown>), entities } }),
      );
    }
    return event;
  }

  open<E extends { readonly type: string; readonly data: unknown }>(event: E): E {
    return mapSealed(event, (sealed) => this.openValue(sealed));
  }

  /** One value sealed for the subject that `name` belongs to. */
  sealValue(value: string, name: string): string {
    const subject = this.keys.subjectFor(name);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', subject.key, iv);
    cipher.setAAD(Buffer.from(`${SEALED_PREFIX}${subject.id}`));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return `${SEALED_PREFIX}${subject.id}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
  }

  openValue(sealed: string): string {
    const rest = sealed.slice(SEALED_PREFIX.length);
    const colon = rest.indexOf(':');
    const id = colon < 0 ? rest : rest.slice(0, colon);
    const erasedAt = this.keys.erasedAt(id);
    if (erasedAt) return `[erased on ${erasedAt.slice(0, 10)}]`;
    const key = this.keys.keyOf(id);
    if (!key || colon < 0) return this.missing(id);
    try {
      const bytes = Buffer.from(rest.slice(colon + 1), 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${SEALED_PREFIX}${id}`));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      // A value that does not open under its subject's key was altered or belongs to a lost key: never guess.
      return this.missing(id);
    }
  }

  private missing(id: string): string {
    this.unavailable.add(id);
    return KEY_UNAVAILABLE;
  }

  private sealEntitiesAt<E extends { readonly type: string; readonly data: unknown }>(
    event: E,
    holder: (data: Record<string, unknown>) => Record<string, unknown> | undefined,
    replace: (data: Record<string, unknown>, entities: unknown[]) => unknown,
  ): E {
    if (!isRecord(event.data)) return event;
    const entities = holder(event.data)?.entities;
    if (!Array.isArray(entities) || !entities.some(isPersonToSeal)) return event;
    const sealed = entities.map((entity) => (isPersonToSeal(entity) ? { ...entity, name: this.sealValue(entity.name, entity.name) } : entity));
    return { ...event, data: replace(event.data, sealed) };
  }
}

function isPersonToSeal(entity: unknown): entity is { type: 'person'; name: string } {
  return isRecord(entity) && entity.type === 'person' && typeof entity.name === 'string' && !isSealed(entity.name);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
