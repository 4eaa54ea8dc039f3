import { KeyedSubjectSeal } from '../src/erasure/keyed-seal';
import { SubjectKeyStore } from '../src/erasure/subject-key-store';

/**
 * What sealing a shared watch's answer again costs (docs/erasure.md, "Watches kept in the log"): a
 * figure's answer of 300 claims (~25 kB of JSON, 30 of them naming persons), sealed with 100 to 10,000
 * values known to the process; names that share their first characters (the index's worst case) and
 * names that do not. Prints milliseconds per answer (median of 21), and checks the round trip.
 *
 * Alone, on a quiet machine: ts-node --transpile-only bench/watch-seal.ts
 */
function measure(label: string, known: number, nameOf: (i: number) => string): void {
  const keys = new SubjectKeyStore(':memory:');
  try {
    const seal = new KeyedSubjectSeal(keys);
    for (let i = 0; i < known; i++) seal.open(seal.seal({ type: 'FactRecorded', data: { entities: [{ type: 'person', name: nameOf(i) }] } }));
    const claims = Array.from({ length: 300 }, (_, i) => ({ claimant: i % 10 === 0 ? nameOf(i) : `Organisation ${i}`, value: i, source: `https://example.org/reports/${i}` }));
    const answer = JSON.stringify({ claims });
    const runs: number[] = [];
    let sealed = '';
    for (let k = 0; k < 21; k++) {
      const started = performance.now();
      sealed = seal.sealOpenedValues(answer);
      runs.push(performance.now() - started);
    }
    if (seal.openSealedValues(sealed) !== answer) throw new Error('the sealed answer does not open to the answer');
    const median = runs.sort((a, b) => a - b)[10];
    console.log(`${label.padEnd(14)} known ${String(known).padStart(6)}  answer ${answer.length} B  seal ${median.toFixed(2)} ms`);
  } finally {
    keys.close();
  }
}

if (require.main === module) {
  for (const known of [100, 1000, 10_000]) {
    measure('shared prefix', known, (i) => `Mohammed Number ${i}`);
    measure('varied', known, (i) => `${(i * 7919).toString(36)} ${i.toString(36)}son`);
  }
}
