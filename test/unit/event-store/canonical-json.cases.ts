import type { JsonObject } from '../../../src/event-store/event-store';
import { canonicalJson } from '../../../src/event-store/canonical-json';
import { chainEvents, eventHash } from '../../../src/event-store/event-hash';

/** The examples of RFC 8785 itself: §3.2.2 (values and escaping) and §3.2.3 (property sorting). */
describe('canonical JSON (RFC 8785)', () => {
  it('serialises the §3.2.2 example: numbers as ECMAScript prints them, strings as JSON escapes them', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], ' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts properties by UTF-16 code units, as §3.2.3 shows', () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", ' +
        '"\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
    );
    const values = ['Carriage Return', 'One', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh'];
    const keys = ['\\r', '1', '\u0080', 'ö', '€', '😀', '\ufb33'];
    expect(canonicalJson(input)).toBe(`{${keys.map((k, i) => `"${k}":"${values[i]}"`).join(',')}}`);
  });
});

describe('event hash chain', () => {
  const events: { type: string; data: JsonObject; metadata: JsonObject }[] = [
    { type: 'FactRecorded', data: { factId: 'f', title: 'x' }, metadata: { actor: 'desk' } },
    { type: 'FactCorrected', data: { factId: 'f', title: 'y' }, metadata: { actor: 'desk', reason: 'typo' } },
  ];

  it('covers type, data, metadata, stream and revision, and links each event to the one before', () => {
    const [first, second] = chainEvents('fact-f', 0n, null, events);
    expect(first.prevHash).toBeNull();
    expect(second.prevHash).toBe(first.hash);
    const recorded = { streamId: 'fact-f', revision: 1n, ...events[1], metadata: second };
    expect(eventHash(recorded)).toBe(second.hash);
    for (const changed of [
      { ...recorded, streamId: 'fact-g' },
      { ...recorded, revision: 2n },
      { ...recorded, type: 'FactRetracted' },
      { ...recorded, data: { factId: 'f', title: 'z' } },
      { ...recorded, metadata: { ...second, actor: 'someone else' } },
      { ...recorded, metadata: { ...second, prevHash: '0'.repeat(64) } },
    ]) {
      expect(eventHash(changed)).not.toBe(second.hash);
    }
  });
});
