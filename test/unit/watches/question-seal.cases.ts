import { questionKey, type Question } from '../../../src/watches/question';
import { keyOfStored, subjectsOf } from '../../../src/watches/question-seal';
import { WatchStore } from '../../../src/watches/watch-store';

const SUBJECT = 'sAAAAAAAAAAAAAAAAAAAAAA';
const sealed = (payload: string): string => `annals:sealed:v1:${SUBJECT}:${payload}`;

describe("a watch's question as stored", () => {
  it('groups two sealings of the same question under one key (their subject ids), and keeps the key of a question with nothing sealed', () => {
    const a = { kind: 'timeline', entity: sealed('Zm9v'), limit: 50 } as Question;
    const b = { kind: 'timeline', entity: sealed('YmFy'), limit: 50 } as Question;
    expect(keyOfStored(a)).toBe(keyOfStored(b));
    expect(keyOfStored(a)).not.toContain(SUBJECT);
    const passage = { kind: 'timeline', text: `${sealed('Zm9v')}; tenure`, limit: 50 } as Question;
    expect(keyOfStored(passage)).not.toBe(keyOfStored(a));
    expect(subjectsOf(passage)).toEqual([SUBJECT]);
    const plain = { kind: 'timeline', tag: 'raqqa', limit: 50 } as Question;
    expect(keyOfStored(plain)).toBe(questionKey(plain));
  });

  it('ends, on an erasure, a watch stored before questions were sealed whose question names the person in clear, and purges its question and key', () => {
    const store = new WatchStore(':memory:');
    try {
      const insert = (id: string, question: Question) =>
        store.insert({
          watch: { id, owner: 'desk', title: null, question, webhookUrl: null, webhookSecret: null, createdAt: '2026-12-01T00:00:00.000Z', answerHash: 'sha256:0', evaluatedUpTo: 0n },
          answer: 'null',
          subjectKey: questionKey(question),
          joined: true,
          subject: { subject: questionKey(question), question, answerHash: 'sha256:0', evaluatedUpTo: 0n },
        });
      insert('old', { kind: 'timeline', entity: 'joseph votel', limit: 50 } as Question);
      insert('other', { kind: 'timeline', tag: 'centcom', limit: 50 } as Question);
      const marker = '[erased on 2026-12-07]';
      const { ended, values } = store.endWatchesOf(SUBJECT, ['Joseph Votel'], marker, '2026-12-07T10:00:00.000Z');
      expect(ended).toEqual(['old']);
      expect(values).toContain('joseph votel');
      expect(store.get('old')?.deletedAt).toBe('2026-12-07T10:00:00.000Z');
      expect(store.get('old')?.question).toEqual({ kind: 'timeline', entity: marker, limit: 50 });
      expect(store.active().map((w) => w.id)).toEqual(['other']);
      expect(store.subjects().map((s) => s.question)).toEqual([{ kind: 'timeline', tag: 'centcom', limit: 50 }]);
      const rows = [...store.db.prepare('SELECT * FROM watches').all(), ...store.db.prepare('SELECT * FROM subjects').all()];
      const text = JSON.stringify(rows, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      expect(text).not.toMatch(/votel/i);
      expect(text).not.toContain(questionKey({ kind: 'timeline', entity: 'joseph votel', limit: 50 } as Question));
    } finally {
      store.close();
    }
  });
});
