/*
 * The editor's form parts: labelled fields, what was typed read back as the API's shapes, and the
 * API's problem+json reasons placed beside the fields they name. The page checks nothing the API
 * checks: it sends what was typed.
 */
import type { Problem, Source, ValidTime } from './api-types';
import { append, clear, el, type Child } from './dom';

export interface FieldOptions {
  idPrefix?: string;
  type?: 'textarea' | 'select';
  rows?: number;
  maxlength?: number;
  choices?: [string, string][];
  placeholder?: string;
  spellcheck?: boolean;
  inputmode?: string;
  value?: string;
  wide?: boolean;
  help?: string;
}

export function field(label: string, name: string, o: FieldOptions = {}): HTMLDivElement {
  const id = (o.idPrefix || 'ed') + '-' + name.replace(/[^a-zA-Z0-9]+/g, '-');
  const input =
    o.type === 'textarea'
      ? el('textarea', { id, name, rows: o.rows || 3, maxlength: o.maxlength || 4000 })
      : o.type === 'select'
        ? el('select', { id, name }, (o.choices ?? []).map((c) => el('option', { value: c[0] }, c[1])))
        : el('input', { id, name, type: 'text', placeholder: o.placeholder, autocomplete: 'off', spellcheck: o.spellcheck ? 'true' : 'false', inputmode: o.inputmode });
  if (o.value !== undefined && o.value !== null) input.value = o.value;
  return el('div', { class: 'field' + (o.wide ? ' field-wide' : ''), 'data-for': name }, el('label', { for: id }, label), input, o.help ? el('p', { class: 'help' }, o.help) : null);
}

type Input = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

export function value(form: HTMLFormElement, name: string): string {
  const input = form.querySelector<Input>('[name="' + CSS.escape(name) + '"]');
  return input ? input.value.trim() : '';
}

/** The number as typed: '1e12', '0.0001' and '7 595' all count; anything else is sent as text for the API to refuse. */
export function number(text: string): number | string | undefined {
  const cleaned = text.replace(/[\s,_]/g, '');
  if (cleaned === '') return undefined;
  const n = Number(cleaned);
  return isFinite(n) ? n : text;
}

export function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** 'person: Joseph Votel', one a line; a line with no type is an organisation. */
export function entities(text: string): { type: string; name: string }[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const m = /^(person|organisation|place)\s*:\s*(.+)$/i.exec(line);
      return m ? { type: m[1].toLowerCase(), name: m[2].trim() } : { type: 'organisation', name: line };
    });
}

/** A write's mark (docs/erasure.md): the text at `path` of the body, or only `passage` of it, belongs to `subject`. */
export interface SubjectMark {
  subject: string;
  path: string;
  passage?: string;
}

/**
 * Under a free-text field: the name of the person it names, if it names one. The write then marks
 * that text as the person's (sealed with their key, erasable): where the name is written in the
 * field, those words alone; otherwise (a quote, a "she said") the whole field.
 */
export function namesPerson(label: string, of: string, idPrefix: string, explained = false): HTMLDivElement {
  const part = field(label + ' names a person', 'names.' + of, {
    idPrefix,
    placeholder: 'the person’s name, if it names one',
    help: explained ? 'Sealed for that person, so it can be erased: the name where the field writes it, else the whole field.' : undefined,
  });
  part.classList.add('names-person');
  return part;
}

/**
 * The marks of the form's "names a person" inputs, `fields` being [the field's name, its path in the
 * body, the text sent]; `inputs[i]` is the input behind `subjects[i]`, where the API's reasons about
 * that mark belong (withMarkFields).
 */
export function personMarks(form: HTMLFormElement, fields: [string, string, string][]): { marks: SubjectMark[]; inputs: string[] } {
  const marks: SubjectMark[] = [];
  const inputs: string[] = [];
  for (const [name, path, text] of fields) {
    const subject = value(form, 'names.' + name);
    if (!subject) continue;
    // Sent even for a field left empty (or unchanged in a correction): the API then says why nothing there can be marked.
    marks.push(text.includes(subject) && text !== subject ? { subject, path, passage: subject } : { subject, path });
    inputs.push('names.' + name);
  }
  return { marks, inputs };
}

/** The problem with each reason about `subjects[i]` named after the input it came from, so showErrors places it there. */
export function withMarkFields(problem: Problem, inputs: string[]): Problem {
  if (!Array.isArray(problem.errors)) return problem;
  const errors = problem.errors.map((e) => {
    const m = /^subjects\[(\d+)\]/.exec(String(e.field || ''));
    return m && inputs[Number(m[1])] ? { ...e, field: inputs[Number(m[1])] } : e;
  });
  return { ...problem, errors };
}

/** A source's fields; `marked`: with a "names a person" under its title (explained there when `explained`). */
export function sourceFields(prefix: string, idPrefix: string, marked?: { explained: boolean }): HTMLFieldSetElement {
  return el(
    'fieldset',
    { class: 'source-fields' },
    el('legend', null, 'Source'),
    field('Publisher', prefix + '.publisher', { idPrefix }),
    field('Title', prefix + '.title', { idPrefix, spellcheck: true }),
    marked ? namesPerson('Title', prefix + '.title', idPrefix, marked.explained) : null,
    field('URL', prefix + '.url', { idPrefix, placeholder: 'https://…', inputmode: 'url' }),
    field('Published on', prefix + '.publishedOn', { idPrefix, placeholder: 'YYYY-MM-DD or [2019-03-28..2019-03-31]' }),
  );
}

export function source(form: HTMLFormElement, prefix: string): Source {
  const s: Source = { publisher: value(form, prefix + '.publisher'), title: value(form, prefix + '.title'), url: value(form, prefix + '.url') };
  const published = value(form, prefix + '.publishedOn');
  if (published) s.publishedOn = published;
  return s;
}

export function validTimeFields(idPrefix: string): HTMLFieldSetElement {
  return el(
    'fieldset',
    { class: 'when-fields' },
    el('legend', null, 'When (a day it happened, or a period it held)'),
    field('Happened on', 'validTime.at', { idPrefix, placeholder: 'YYYY, YYYY-MM or YYYY-MM-DD' }),
    field('Held from', 'validTime.from', { idPrefix, placeholder: 'YYYY-MM-DD' }),
    field('Held until', 'validTime.to', { idPrefix, placeholder: 'YYYY-MM-DD, or empty: still holds' }),
  );
}

export function validTime(form: HTMLFormElement): ValidTime {
  const at = value(form, 'validTime.at');
  if (at) return { at };
  const vt: ValidTime = { from: value(form, 'validTime.from') };
  const to = value(form, 'validTime.to');
  if (to) vt.to = to;
  return vt;
}

/** The API's reasons beside the fields they name ('sources[0].url', 'value.qualifier', 'changes.title'); the rest above the buttons. */
export function showErrors(form: HTMLFormElement, problem: Problem): void {
  clearErrors(form);
  const errors = Array.isArray(problem.errors) && problem.errors.length ? problem.errors : [{ field: '', reason: String(problem.detail || problem.title) }];
  const unplaced: { field?: string; reason: string }[] = [];
  for (const e of errors) {
    // The named field, else the nearest enclosing one: 'sources[0].url' → 'sources[0]' → 'sources'.
    const paths: string[] = [];
    for (let path = String(e.field || ''); path; ) {
      paths.push(path, 'changes.' + path);
      const shorter = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
      path = shorter === path ? '' : shorter;
    }
    const input = paths.map((p) => form.querySelector<HTMLElement>('[name="' + CSS.escape(p) + '"]')).find(Boolean) || null;
    if (!input) {
      unplaced.push(e);
      continue;
    }
    const slot = el('p', { class: 'field-error', id: input.id + '-error' }, e.reason);
    input.insertAdjacentElement('afterend', slot);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', slot.id);
  }
  const box = form.querySelector<HTMLElement>('.form-problem');
  if (box && (unplaced.length || problem.title)) {
    append(box, [
      el('p', { class: 'form-problem-title' }, problem.title || 'The service refused this'),
      unplaced.length ? el('ul', null, unplaced.map((e) => el('li', null, (e.field ? e.field + ': ' : '') + e.reason))) : null,
    ]);
    box.hidden = false;
  }
  form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

export function clearErrors(form: HTMLFormElement): void {
  form.querySelectorAll('.field-error').forEach((n) => n.remove());
  form.querySelectorAll('[aria-invalid]').forEach((n) => {
    n.removeAttribute('aria-invalid');
    n.removeAttribute('aria-describedby');
  });
  const box = form.querySelector<HTMLElement>('.form-problem');
  if (box) clear(box).hidden = true;
}

export function done(form: HTMLFormElement, text: string): void {
  const box = form.querySelector<HTMLElement>('.form-done');
  if (!box) return;
  box.textContent = text;
  box.hidden = false;
}

export function formShell(id: string, heading: string, children: Child, submitText: string): HTMLFormElement {
  return el(
    'form',
    { id, class: 'edit-form', novalidate: true },
    el('h3', null, heading),
    children,
    el('div', { class: 'form-problem', role: 'alert', hidden: true }),
    el('p', { class: 'form-done', role: 'status', hidden: true }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, submitText)),
  );
}
