import type { Figure, HistoryEntry } from '../../../src/ui/client/api-types';
import { changeText } from '../../../src/ui/client/numbers';
import { alignedData, chartModel, claimantColor, claimantColors, endLabels } from '../../../src/ui/client/revision-model';

/** The revision chart's model and the history's wording, apart from any drawing. */
const entry = (claimId: string, assertedOn: string, value: number, more: Partial<HistoryEntry> = {}): HistoryEntry => ({
  claimId,
  kind: 'asserted',
  assertedOn,
  assertedDays: { earliest: assertedOn, latest: assertedOn },
  value: { kind: 'exact', value },
  rank: { value: 'normal' },
  ...more,
});
const figure = (history: Record<string, HistoryEntry[]>): Figure => ({ id: 'f', name: 'Deaths', unit: 'people', claims: [], history });

describe('the revision chart and history on the page', () => {
  it('gives each claimant its colour from its name, whoever else arrives and in what order', () => {
    const alone = chartModel(figure({ Airwars: [entry('a', '2018-06-30', 6259)] }));
    const joined = chartModel(figure({ 'CJTF-OIR': [entry('c', '2018-06-30', 1114)], Amnesty: [entry('m', '2018-06-30', 1600)], Airwars: [entry('a', '2018-06-30', 6259)] }));
    expect(joined.find((c) => c.claimant === 'Airwars')?.color).toBe(alone[0].color);
    expect(claimantColor('Airwars')).toBe(alone[0].color);
    expect(new Set(joined.map((c) => c.color)).size).toBe(3);
  });

  it('gives two claimants whose names fall on one colour two colours, by name order, not arrival', () => {
    const names = Array.from({ length: 40 }, (_, i) => `Monitor ${i}`);
    const [a, b] = names.filter((n, _, all) => all.some((m) => m < n && claimantColor(m) === claimantColor(n))).map((n) => [names.find((m) => m < n && claimantColor(m) === claimantColor(n))!, n])[0];
    for (const order of [[a, b], [b, a]]) {
      const colors = claimantColors(order);
      expect(colors.get(a)).toBe(claimantColor(a));
      expect(colors.get(b)).not.toBe(colors.get(a));
    }
    // The demo's two claimants.
    const demo = claimantColors(['US-led coalition (CJTF-OIR)', 'Airwars']);
    expect(demo.get('Airwars')).not.toBe(demo.get('US-led coalition (CJTF-OIR)'));
  });

  it('runs the line past a deprecated outlier, which stays on the chart as a mark', () => {
    const model = chartModel(
      figure({
        Airwars: [
          entry('june', '2018-06-30', 6259),
          entry('outlier', '2018-09-30', 58, { rank: { value: 'deprecated' } }),
          entry('december', '2018-12-31', 7271, { kind: 'revised' }),
        ],
      }),
    );
    expect(model[0].points.map((p) => p.claimId)).toEqual(['june', 'outlier', 'december']);
    const [, low] = alignedData(model, Date.UTC(2019, 0, 31) / 1000);
    expect(Array.from(low as ArrayLike<number | null>)).not.toContain(58);
    expect(endLabels(model)[0].text).toBe('7,271');
  });

  it('words a range’s revision at both ends, and a change of wording', () => {
    expect(changeText({ kind: 'range', min: 55, max: 60 }, { low: 20, high: 35, ratio: 1.58, qualifier: { from: null, to: 'at_least' } })).toBe(
      'low end +20, high end +35 (×1.58); now at least',
    );
    expect(changeText({ kind: 'exact', value: 6259 }, { low: 1012, high: 1012, ratio: 1.16 })).toBe('change +1,012 (×1.16)');
    expect(changeText({ kind: 'bound', value: 1000, qualifier: 'about' }, { low: 257, high: 257, ratio: 1.26, qualifier: { from: 'about', to: 'at_least' } })).toBe(
      'change +257 (×1.26); now at least, was about',
    );
  });
});
