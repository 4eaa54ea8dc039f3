/** One row of the results table; every measurement returns rows and prints each as it is found. */
export interface Row {
  /** '1 store appends', '2 http', … */
  readonly section: string;
  readonly figure: string;
  /** The measured value, formatted. */
  readonly value: string;
  /** What it is compared with (raw driver, bare endpoint, 10k figure), formatted; '' when nothing. */
  readonly reference: string;
  /** value / reference where the target is a ratio; '' otherwise. */
  readonly ratio: string;
  readonly target: string;
  /**
   * INFO: measured for context, no target. ERROR: the run itself failed (errors, non-2xx): no figure.
   * FLAKY: the median meets the target but some pairs of runs do not (spreadVerdict): not a PASS.
   */
  readonly verdict: 'PASS' | 'MISS' | 'FLAKY' | 'INFO' | 'ERROR';
  /** The numbers behind the row, for results.json. */
  readonly data: Record<string, unknown>;
}

export function verdict(pass: boolean): 'PASS' | 'MISS' {
  return pass ? 'PASS' : 'MISS';
}

/**
 * The verdict of a ratio measured as several alternated pairs (each pair's ratio, higher is better):
 * PASS only when the median meets `target` and so does every pair; FLAKY when the median meets it but
 * the spread crosses it (one noisy pair would have flipped a single-run verdict); MISS when the median
 * misses. The text is the median with the pairs' min–max, as the table shows it.
 */
export function spreadVerdict(pairRatios: readonly number[], target: number, unit = 'pairs'): { verdict: 'PASS' | 'MISS' | 'FLAKY'; median: number; text: string } {
  const sorted = pairRatios.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return { verdict: 'MISS', median: Number.NaN, text: 'n/a' };
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const [min, max] = [sorted[0], sorted[sorted.length - 1]];
  const verdict = median < target ? 'MISS' : min < target ? 'FLAKY' : 'PASS';
  return { verdict, median, text: `${ratio(median)} (${ratio(min)}–${ratio(max)}, ${sorted.length} ${unit})` };
}

/**
 * The same verdict for a time whose target is an upper bound (lower is better): each run's value is
 * compared with `limit` as the ratio limit / value ≥ 1, so PASS needs the median and every run under
 * the limit, FLAKY a median under it with some run over it. The text is the median with the runs'
 * min–max in `unit`.
 */
export function spreadBelow(values: readonly number[], limit: number, format: (n: number) => string = ms): { verdict: 'PASS' | 'MISS' | 'FLAKY'; median: number; text: string } {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const { verdict } = spreadVerdict(sorted.map((value) => limit / value), 1);
  if (sorted.length === 0) return { verdict, median: Number.NaN, text: 'n/a' };
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { verdict, median, text: `${format(median)} (${format(sorted[0])}–${format(sorted[sorted.length - 1])}, ${sorted.length} runs)` };
}

export function row(fields: Omit<Row, 'reference' | 'ratio' | 'data'> & Partial<Pick<Row, 'reference' | 'ratio' | 'data'>>): Row {
  const result: Row = { reference: '', ratio: '', data: {}, ...fields };
  // Printed as soon as it is known, so a long run shows progress and a crash keeps what was found.
  console.log(`  ${result.verdict.padEnd(5)} ${result.section} | ${result.figure}: ${result.value}` +
    `${result.reference ? ` vs ${result.reference}` : ''}${result.ratio ? ` (ratio ${result.ratio})` : ''}${result.target ? ` — target ${result.target}` : ''}`);
  return result;
}

export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

export function ms(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n < 10 ? `${n.toFixed(2)} ms` : n < 100 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`;
}

export function ratio(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : 'n/a';
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

export function bytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} kB` : `${n} B`;
}

/**
 * spreadVerdict for a target that is a value, not a ratio (rebuild events/s, peak RSS, a p99): each
 * run's value as a share of the target, oriented so that ≥ 1 meets it (`higherIsBetter` false: target /
 * value). PASS only when every run meets the target, FLAKY when the median does but some run does not.
 */
export function targetVerdict(values: readonly number[], target: number, higherIsBetter: boolean): ReturnType<typeof spreadVerdict> {
  return spreadVerdict(values.map((value) => (higherIsBetter ? value / target : target / value)), 1, values.length === 1 ? 'run' : 'runs');
}

/** A plain-text table with aligned columns. */
export function table(rows: readonly Row[]): string {
  const header = ['#', 'figure', 'value', 'compared with', 'ratio', 'target', 'result'];
  const cells = rows.map((r) => [r.section, r.figure, r.value, r.reference, r.ratio, r.target, r.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((cell, i) => cell.padEnd(widths[i])).join(' | ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}
