/*
 * How dates, instants, links and counts read on the page, shared by the timeline, the figures and
 * the histories. Dates stay exactly as the source gave them, at their precision.
 */
import type { ValidTime } from './api-types';
import { el, hiddenText } from './dom';
import { formatNumber } from './numbers';

/** Only web links become links; anything else stays visible as text. */
export function link(url: string | undefined, text: string): HTMLElement {
  let safe = false;
  try {
    const parsed = new URL(String(url));
    safe = parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    safe = false;
  }
  if (!safe) return el('span', null, text + ' (' + url + ')');
  return el('a', { href: url, rel: 'noopener noreferrer external', target: '_blank' }, text, hiddenText(' (opens in a new tab)'));
}

const PRECISIONS: Record<number, string> = { 4: 'year', 7: 'month', 10: 'day' };

/** A date exactly as the source gave it: '2014', '2019-03', '2016-03-30', or a window '[2017-06-30..2017-07-28]'. */
export function partialDate(value: string | undefined): HTMLElement {
  const text = value ?? '';
  // <wbr> after '..' lets a narrow column wrap a window between its two days, never inside one (and copies as typed).
  if (text.charAt(0) === '[') {
    const parts = text.split('..');
    return el(
      'span',
      { class: 'date-window', title: 'one day within this window' },
      el('span', { class: 'nowrap' }, parts[0] + '..'),
      parts.length > 1 ? [el('wbr'), el('span', { class: 'nowrap' }, parts.slice(1).join('..'))] : null,
    );
  }
  if (text === '..' || text === '') return el('span', { class: 'date-open' }, text === '..' ? 'open' : 'unknown');
  return el('time', { datetime: text, title: (PRECISIONS[text.length] || 'date') + ' precision' }, text);
}

/** 'possibly': the date's window reaches past the day asked, so it may not have happened yet. */
export function possibly(item: { certainty?: string } | undefined): HTMLElement | null {
  return item && item.certainty === 'possible' ? el('span', { class: 'badge badge-possible', title: 'its date may fall after the day asked' }, 'possibly') : null;
}

/** 'at' as given; a period 'from – to' or 'from – present'. */
export function validTime(vt: ValidTime | undefined): HTMLElement {
  if (!vt) return el('span', null, 'undated');
  if (vt.at !== undefined) return el('span', { class: 'when' }, partialDate(vt.at));
  return el('span', { class: 'when' }, partialDate(vt.from), ' – ', vt.to === undefined || vt.to === '..' ? el('span', { class: 'present' }, 'present') : partialDate(vt.to));
}

export function validTimeText(vt: ValidTime | undefined): string {
  if (!vt) return 'undated';
  if (vt.at !== undefined) return vt.at;
  return vt.from + ' – ' + (vt.to === undefined || vt.to === '..' ? 'present' : vt.to === '' ? 'unknown' : vt.to);
}

/**
 * Record time exactly as the API gives it, milliseconds and all ('2026-01-01T09:30:00.123Z'): copied
 * into "As known at", it finds this very version (a rounded instant would fall before it).
 */
export function instant(iso: string | null | undefined): HTMLElement {
  if (!iso) return el('span', null, '—');
  return el('time', { datetime: iso, class: 'instant' }, String(iso));
}

export function plural(n: number, one: string, many: string): string {
  return formatNumber(n) + ' ' + (n === 1 ? one : many);
}
