/*
 * The API's problem+json answers, shown as they come: the box above the page for a refused view, and
 * each errors[] reason beside the field it names.
 */
import type { Problem } from './api-types';
import { ApiProblem } from './api';
import { $, append, clear, el } from './dom';

export function showProblem(error: unknown): void {
  // Anything but an API answer is a bug in this page: say so rather than fail silently.
  const p: Problem =
    error instanceof ApiProblem ? error.problem : { title: 'This page hit an error', detail: String(error instanceof Error ? error.message : error) };
  const box = clear($('problem'));
  append(box, [el('h2', { class: 'problem-title' }, String(p.title)), p.detail ? el('p', { class: 'problem-detail' }, String(p.detail)) : null]);
  if (Array.isArray(p.errors) && p.errors.length > 0) {
    box.appendChild(el('ul', { class: 'problem-errors' }, p.errors.map((e) => el('li', null, el('code', null, String(e.field)), ': ', String(e.reason)))));
  }
  if (p.status || p.code) {
    box.appendChild(el('p', { class: 'problem-code' }, [p.status ? 'HTTP ' + p.status : '', p.code ? ' · ' + p.code : ''].join('')));
  }
  box.hidden = false;
}

export function clearProblem(): void {
  clear($('problem')).hidden = true;
}

/** The reasons beside their fields: each field's .field-error slot gets its reason; returns those with no field here. */
export function showFieldErrors(form: HTMLFormElement, errors: { field?: string; reason: string }[]): { field?: string; reason: string }[] {
  const unplaced: { field?: string; reason: string }[] = [];
  for (const e of errors) {
    const name = String(e.field || '').split(/[.[]/)[0];
    const input = name ? form.querySelector<HTMLElement>('[name="' + CSS.escape(name) + '"]') : null;
    if (!input) {
      unplaced.push(e);
      continue;
    }
    const id = (input.id || name) + '-error';
    let slot = document.getElementById(id);
    if (!slot) {
      slot = el('p', { id, class: 'field-error' });
      input.insertAdjacentElement('afterend', slot);
    }
    slot.textContent = (slot.textContent ? slot.textContent + '; ' : '') + (e.field !== name ? e.field + ': ' : '') + e.reason;
    slot.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    const described = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    if (!described.includes(id)) input.setAttribute('aria-describedby', described.concat(id).join(' '));
  }
  form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  return unplaced;
}

export function clearFieldErrors(form: HTMLFormElement): void {
  form.querySelectorAll<HTMLElement>('.field-error').forEach((slot) => {
    slot.textContent = '';
    slot.hidden = true;
  });
  form.querySelectorAll('[aria-invalid]').forEach((input) => input.removeAttribute('aria-invalid'));
}
