import { claimsJsonLd, timelineJs } from '../../../src/export/views';
import type { ClaimView, FigureSummary } from '../../../src/projections/figures/figures.queries';
import type { FactView } from '../../../src/projections/timeline/timeline.queries';

const fact = (validTime: FactView['validTime']): FactView =>
  ({ id: 'f', title: 'Votel commands CENTCOM', summary: '', tags: [], entities: [], sources: [], validTime, status: 'recorded' }) as unknown as FactView;

const slide = (validTime: FactView['validTime'], asOf?: string) => timelineJs([fact(validTime)], asOf ? { asOf } : {}).events[0];

describe('TimelineJS dates of periods', () => {
  it('ends an open tenure at the export\'s as-of day and says it is ongoing', () => {
    const s = slide({ from: '2016-03-30' }, '2019-03-28');
    expect(s.start_date).toEqual({ year: 2016, month: 3, day: 30 });
    expect(s.end_date).toEqual({ year: 2019, month: 3, day: 28 });
    expect(s.text.text).toContain('Ongoing as of 2019-03-28.');
  });

  it('treats `..` as open, like a missing end', () => {
    expect(slide({ from: '2016-03', to: '..' }, '2019-03').end_date).toEqual({ year: 2019, month: 3 });
  });

  it('ends an open period at today without an as-of day', () => {
    const today = new Date().toISOString().slice(0, 10);
    expect(slide({ from: '2016-03-30' }).text.text).toContain(`Ongoing as of ${today}.`);
  });

  it('keeps a closed period as it is, with no note', () => {
    const s = slide({ from: '2016-03-30', to: '2019-03-28' });
    expect(s.end_date).toEqual({ year: 2019, month: 3, day: 28 });
    expect(s.text.text).not.toContain('Ongoing');
  });

  it('leaves a period whose end is unknown a point at its start, and says so', () => {
    const s = slide({ from: '2016-03-30', to: '' });
    expect(s.end_date).toBeUndefined();
    expect(s.text.text).toContain('its end is not known');
  });

  it('starts a period open at its start at its end', () => {
    const s = slide({ from: '..', to: '2019-03-28' });
    expect(s.start_date).toEqual({ year: 2019, month: 3, day: 28 });
    expect(s.end_date).toBeUndefined();
    expect(s.text.text).toContain('its start is open');
  });
});

describe('JSON-LD dates of claims', () => {
  const figure = { id: 'civilians', name: 'Civilians killed by coalition strikes', unit: 'civilians', scope: { places: [] } } as unknown as FigureSummary;
  const claim = (assertedOn: string) =>
    ({ claimId: 'c', claimant: 'US-led coalition', value: { kind: 'bound', qualifier: 'at_least', value: 1257 }, assertedOn, sources: [] }) as unknown as ClaimView;
  const item = (assertedOn: string) => claimsJsonLd(figure, [claim(assertedOn)], {}).itemListElement[0].item as Record<string, unknown>;

  it('gives a plain date as it is', () => {
    expect(item('2019-03-28')).toMatchObject({ datePublished: '2019-03-28' });
    expect(item('2019-03-28')).not.toHaveProperty('disambiguatingDescription');
  });

  it('dates a window-dated claim by the window\'s earliest day and states the window', () => {
    expect(item('[2019-03-28..2019-03-31]')).toMatchObject({
      datePublished: '2019-03-28',
      disambiguatingDescription: 'Asserted some time between 2019-03-28 and 2019-03-31 (recorded as [2019-03-28..2019-03-31]).',
    });
  });

  it('states a window open at its start without inventing a day', () => {
    const it = item('[..2019-03-31]');
    expect(it).not.toHaveProperty('datePublished');
    expect(it.disambiguatingDescription).toContain('some time up to 2019-03-31');
  });

  it('takes the unit and the name from the figure', () => {
    const it = item('2019-03-28');
    expect(it.text).toBe('US-led coalition: at least 1,257 civilians');
    expect((it.about as { name: string }).name).toBe('Civilians killed by coalition strikes');
  });
});
