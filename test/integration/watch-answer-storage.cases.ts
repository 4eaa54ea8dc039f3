import { inflateRawSync } from 'node:zlib';
import { storedAnswer } from '../../src/watches/answer-diff';
import { WatchStore } from '../../src/watches/watch-store';

/**
 * Each new answer is stored as the edit of the one it follows, whole again every so often: every
 * answer reads back exactly (its hash checked), and a long run of small changes to a large answer
 * stores kilobytes each, not the answer again.
 */
describe('answers stored as edits', () => {
  const claim = (n: number) => ({ claimId: `c-${n}`, claimant: `Monitor ${n % 30}`, value: { kind: 'exact', value: n * 7 }, sources: [{ title: `Report ${n}`, url: `https://example.org/${n}` }] });
  const answerWith = (count: number) => ({ figureId: 'f', claims: Array.from({ length: count }, (_, i) => claim((i * 37) % 1000)), spread: { low: 0, high: count } });

  it('100 answers in a row read back exactly, edits of their predecessors, whole every 33rd', () => {
    const store = new WatchStore(':memory:');
    try {
      const answers = Array.from({ length: 100 }, (_, i) => storedAnswer(answerWith(300 + i)));
      store.commit({ answers: [answers[0]], subjects: [], watches: [], joins: [], notices: [], position: 0n });
      for (let i = 1; i < answers.length; i++) {
        store.commit({ answers: [{ ...answers[i], base: answers[i - 1] }], subjects: [], watches: [], joins: [], notices: [], position: BigInt(i) });
      }
      // Read from the rows, not from what was rebuilt while writing: newest first, so each is rebuilt from the file.
      const rows = store.db.prepare('SELECT hash, base, depth, length(body) AS bytes FROM answers').all() as { hash: string; base: string | null; depth: number; bytes: number }[];
      expect(rows.filter((r) => r.base === null)).toHaveLength(4);
      expect(Math.max(...rows.map((r) => r.depth))).toBe(32);
      const edits = rows.filter((r) => r.base !== null);
      const whole = rows.filter((r) => r.base === null);
      expect(Math.max(...edits.map((r) => r.bytes))).toBeLessThan(Math.min(...whole.map((r) => r.bytes)) / 10);
      (store as unknown as { rebuilt: { clear(): void } }).rebuilt.clear();
      (store as unknown as { unjoined: { clear(): void } }).unjoined.clear();
      for (const answer of [...answers].reverse()) expect(store.answerText(answer.hash)).toBe(answer.text);
    } finally {
      store.close();
    }
  });

  it('edits of either kind, at chunks (the base read back as text) or at offsets (both answers in pieces), read back alike', () => {
    const store = new WatchStore(':memory:');
    try {
      const answers = Array.from({ length: 10 }, (_, i) => storedAnswer(answerWith(50 + i)));
      store.commit({ answers: [answers[0]], subjects: [], watches: [], joins: [], notices: [], position: 0n });
      for (let i = 1; i < answers.length; i++) {
        const base = i % 2 ? { hash: answers[i - 1].hash, text: answers[i - 1].text } : answers[i - 1];
        store.commit({ answers: [{ ...answers[i], base }], subjects: [], watches: [], joins: [], notices: [], position: BigInt(i) });
      }
      const bodies = (store.db.prepare('SELECT body FROM answers WHERE base IS NOT NULL').pluck().all() as Buffer[]).map((b) => JSON.parse(inflateRawSync(b).toString()) as unknown);
      expect(bodies.filter(Array.isArray)).toHaveLength(5);
      expect(bodies.filter((b) => !Array.isArray(b))).toHaveLength(4);
      (store as unknown as { rebuilt: { clear(): void } }).rebuilt.clear();
      (store as unknown as { unjoined: { clear(): void } }).unjoined.clear();
      for (const answer of [...answers].reverse()) expect(store.answerText(answer.hash)).toBe(answer.text);
    } finally {
      store.close();
    }
  });

  it('an edit that does not rebuild to its hash is an error, not a wrong answer', () => {
    const store = new WatchStore(':memory:');
    try {
      const [a, b] = [storedAnswer(answerWith(10)), storedAnswer(answerWith(11))];
      store.commit({ answers: [a, { ...b, base: a }], subjects: [], watches: [], joins: [], notices: [], position: 0n });
      store.db.prepare("UPDATE answers SET hash = 'sha256:forged' WHERE hash = ?").run(b.hash);
      (store as unknown as { rebuilt: { clear(): void } }).rebuilt.clear();
      (store as unknown as { unjoined: { clear(): void } }).unjoined.clear();
      expect(() => store.answerText('sha256:forged')).toThrow(/does not rebuild/);
    } finally {
      store.close();
    }
  });
});
