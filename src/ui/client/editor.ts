/*
 * Writing from the page, for editors (an editor or admin key, or any reader while the service has
 * no keys): record a fact, assert a claim, correct or retract a fact. The page checks nothing the
 * API checks: it sends what was typed and puts the API's own problem+json reasons (errors[].field
 * and .reason) next to the fields they name. A correction or retraction is sent with If-Match: the
 * revision the form was opened at; a 412 is explained with the change someone else made meanwhile.
 */
import type { ClaimValue, Fact, FactVersion, Figure, Problem, ValidTime } from './api-types';
import { send } from './api';
import { $, append, clear, el } from './dom';
import { eraseSubjectForm } from './erase-subject';
import {
  clearErrors,
  done,
  entities,
  field,
  formShell,
  list,
  namesPerson,
  number,
  personMarks,
  showErrors,
  source,
  sourceFields,
  validTime,
  validTimeFields,
  value,
  withMarkFields,
} from './editor-form';

function idempotencyKey(): string {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

function recordFactForm(): HTMLFormElement {
  const form = formShell(
    'record-fact',
    'Record a fact',
    [
      field('Title', 'title', { idPrefix: 'rf', spellcheck: true, wide: true }),
      namesPerson('Title', 'title', 'rf', true),
      field('Summary', 'summary', { idPrefix: 'rf', type: 'textarea', wide: true }),
      namesPerson('Summary', 'summary', 'rf'),
      validTimeFields('rf'),
      field('Tags', 'tags', { idPrefix: 'rf', placeholder: 'iraq, syria', help: 'Separated by commas.' }),
      field('People, organisations, places', 'entities', {
        idPrefix: 'rf',
        type: 'textarea',
        rows: 2,
        help: 'One a line: “person: Joseph Votel”. A person’s name is sealed for them, so it can be erased.',
      }),
      sourceFields('sources[0]', 'rf', { explained: false }),
    ],
    'Record',
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const body: Record<string, unknown> = {
      title: value(form, 'title'),
      summary: value(form, 'summary'),
      tags: list(value(form, 'tags')),
      entities: entities(form.querySelector<HTMLTextAreaElement>('[name="entities"]')?.value ?? ''),
      sources: [source(form, 'sources[0]')],
      validTime: validTime(form),
    };
    const { marks, inputs } = personMarks(form, [
      ['title', '/title', value(form, 'title')],
      ['summary', '/summary', value(form, 'summary')],
      ['sources[0].title', '/sources/0/title', value(form, 'sources[0].title')],
    ]);
    if (marks.length) body.subjects = marks;
    send<Fact & Problem>('POST', '/facts', body, { 'idempotency-key': idempotencyKey() }).then((answer) => {
      if (!answer.ok || !answer.body) return showErrors(form, withMarkFields(answer.body || {}, inputs));
      form.reset();
      done(form, 'Recorded as ' + answer.body.id + '.');
    });
  });
  return form;
}

function assertClaimForm(figures: Figure[]): HTMLFormElement {
  const form = formShell(
    'assert-claim',
    'Assert a claim',
    [
      field('Figure', 'figureId', { idPrefix: 'ac', type: 'select', wide: true, choices: figures.map((f) => [f.id, f.name]) }),
      field('Claimant', 'claimant', { idPrefix: 'ac', spellcheck: true, help: 'Who says it (the publisher of the report goes under Source).' }),
      field('The claimant is', 'claimantType', {
        idPrefix: 'ac',
        type: 'select',
        choices: [['', 'not said'], ['organisation', 'an organisation'], ['person', 'a person (their name is sealed, so it can be erased)'], ['place', 'a place']],
      }),
      field('Said on', 'assertedOn', { idPrefix: 'ac', placeholder: 'YYYY-MM-DD or [2019-03-28..2019-03-31]' }),
      field('Kind of number', 'value.kind', { idPrefix: 'ac', type: 'select', choices: [['exact', 'exact'], ['bound', 'a bound (at least…)'], ['range', 'a range']] }),
      field('Qualifier', 'value.qualifier', {
        idPrefix: 'ac',
        type: 'select',
        choices: [['at_least', 'at least'], ['more_than', 'more than'], ['about', 'about'], ['almost', 'almost'], ['at_most', 'at most'], ['fewer_than', 'fewer than']],
      }),
      field('Number', 'value.value', { idPrefix: 'ac', inputmode: 'decimal' }),
      field('From', 'value.min', { idPrefix: 'ac', inputmode: 'decimal' }),
      field('To', 'value.max', { idPrefix: 'ac', inputmode: 'decimal' }),
      sourceFields('sources[0]', 'ac', { explained: true }),
    ],
    'Assert',
  );
  const kind = form.querySelector('[name="value.kind"]') as HTMLSelectElement;
  const part = (name: string) => form.querySelector('[data-for="' + name + '"]') as HTMLElement;
  const shape = () => {
    const k = kind.value;
    part('value.qualifier').hidden = k !== 'bound';
    part('value.value').hidden = k === 'range';
    part('value.min').hidden = k !== 'range';
    part('value.max').hidden = k !== 'range';
  };
  kind.addEventListener('change', shape);
  shape();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const k = kind.value;
    // Whatever was typed goes to the API, a non-number included: its answer names the field.
    const claimValue = (
      k === 'range' ? { kind: k, min: number(value(form, 'value.min')), max: number(value(form, 'value.max')) } : { kind: k, value: number(value(form, 'value.value')) }
    ) as ClaimValue;
    if (k === 'bound') claimValue.qualifier = value(form, 'value.qualifier');
    const body: Record<string, unknown> = { claimant: value(form, 'claimant'), value: claimValue, assertedOn: value(form, 'assertedOn'), sources: [source(form, 'sources[0]')] };
    const claimantType = value(form, 'claimantType');
    if (claimantType) body.claimantType = claimantType;
    const { marks, inputs } = personMarks(form, [['sources[0].title', '/sources/0/title', value(form, 'sources[0].title')]]);
    if (marks.length) body.subjects = marks;
    const figureId = value(form, 'figureId');
    send<{ id: string } & Problem>('POST', '/figures/' + encodeURIComponent(figureId) + '/claims', body, { 'idempotency-key': idempotencyKey() }).then((answer) => {
      if (!answer.ok || !answer.body) return showErrors(form, withMarkFields(answer.body || {}, inputs));
      form.querySelectorAll('input').forEach((input) => (input.value = ''));
      done(form, 'Asserted as ' + answer.body.id + '.');
    });
  });
  return form;
}

/** What a correction changes: only the fields the reader edited. */
function changesFrom(form: HTMLFormElement, opened: Fact): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const key of ['title', 'summary'] as const) {
    const now = value(form, 'changes.' + key);
    if (now !== (opened[key] || '')) changes[key] = now;
  }
  const vt = { at: value(form, 'changes.validTime.at'), from: value(form, 'changes.validTime.from'), to: value(form, 'changes.validTime.to') };
  const before: ValidTime = opened.validTime || {};
  if (vt.at !== (before.at || '') || vt.from !== (before.from || '') || vt.to !== (before.to || '')) {
    changes.validTime = vt.at ? { at: vt.at } : vt.to ? { from: vt.from, to: vt.to } : { from: vt.from };
  }
  return changes;
}

/**
 * The editor: the two forms in #editor, and the correction/retraction dialog for a fact.
 * describeChange(newer, older) renders what changed between two versions of a fact.
 */
export function editor(describeChange: (newer: FactVersion, older: FactVersion) => HTMLElement) {
  const panel = $('editor-forms');
  let built = false;
  $('edit-close').addEventListener('click', () => $<HTMLDialogElement>('edit-dialog').close());

  function show(figures: Figure[]): void {
    if (built) return;
    built = true;
    // The erase form is there for everyone who writes, shown to admins only (body.can-erase, login.ts).
    append(clear(panel), [recordFactForm(), assertClaimForm(figures), eraseSubjectForm()]);
  }

  /** Correct or retract a fact, at the revision read now; a 412 shows whose change came first. */
  function openFact(factId: string, kind: string, opener: HTMLElement): void {
    const dialog = $<HTMLDialogElement>('edit-dialog');
    const body = clear($('edit-body'));
    $('edit-heading').textContent = kind === 'retract' ? 'Retract a fact' : 'Correct a fact';
    body.appendChild(el('p', { class: 'loading' }, 'Reading the fact…'));
    if (!dialog.open) dialog.showModal();
    send<Fact & Problem>('GET', '/facts/' + encodeURIComponent(factId)).then((answer) => {
      if (!answer.ok || !answer.body) {
        clear(body).appendChild(el('p', { class: 'empty' }, (answer.body && answer.body.title) || 'The fact could not be read.'));
        return;
      }
      const opened = answer.body;
      const revision = (answer.etag || '').replace(/"/g, '');
      const fields =
        kind === 'retract'
          ? [el('p', null, 'Withdraw “' + opened.title + '” from the record. It stays in its history, marked retracted.')]
          : [
              field('Title', 'changes.title', { idPrefix: 'cf', value: opened.title, spellcheck: true, wide: true }),
              namesPerson('Title', 'changes.title', 'cf', true),
              field('Summary', 'changes.summary', { idPrefix: 'cf', type: 'textarea', value: opened.summary, wide: true }),
              namesPerson('Summary', 'changes.summary', 'cf'),
              field('Happened on', 'changes.validTime.at', { idPrefix: 'cf', value: opened.validTime?.at }),
              field('Held from', 'changes.validTime.from', { idPrefix: 'cf', value: opened.validTime?.from }),
              field('Held until', 'changes.validTime.to', { idPrefix: 'cf', value: opened.validTime?.to }),
            ];
      const why = field('Why', 'reason', { idPrefix: 'cf', type: 'textarea', rows: 2, wide: true, help: 'Kept with the change in the history.' });
      const form = formShell('edit-fact', 'Revision ' + revision + ' of “' + opened.title + '”', [...fields, why], kind === 'retract' ? 'Retract' : 'Correct');
      form.setAttribute('data-revision', revision);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        clearErrors(form);
        const payload: Record<string, unknown> = { reason: value(form, 'reason') };
        let inputs: string[] = [];
        if (kind !== 'retract') {
          const changes = changesFrom(form, opened);
          payload.changes = changes;
          // Only a changed text is stored, so only it can be marked: a mark on an unchanged one is refused by the API, beside it.
          const marked = personMarks(form, [
            ['changes.title', '/changes/title', String(changes.title ?? '')],
            ['changes.summary', '/changes/summary', String(changes.summary ?? '')],
          ]);
          if (marked.marks.length) payload.subjects = marked.marks;
          inputs = marked.inputs;
        }
        const path = '/facts/' + encodeURIComponent(factId) + (kind === 'retract' ? '/retraction' : '/corrections');
        send<{ revision: number } & Problem>('POST', path, payload, { 'if-match': '"' + form.getAttribute('data-revision') + '"' }).then((result) => {
          if (result.status === 412) return explainConflict(form, factId, opened, result.body || {});
          if (!result.ok || !result.body) return showErrors(form, withMarkFields(result.body || {}, inputs));
          done(form, (kind === 'retract' ? 'Retracted' : 'Corrected') + ': now at revision ' + result.body.revision + '.');
          (form.querySelector('button[type="submit"]') as HTMLButtonElement).disabled = true;
        });
      });
      clear(body).appendChild(form);
      form.querySelector<HTMLElement>('input, textarea')?.focus();
    });
    dialog.addEventListener('close', () => opener && document.contains(opener) && opener.focus(), { once: true });
  }

  /** A 412: someone wrote first. Show their change from the fact's history; the reader may send theirs on top. */
  function explainConflict(form: HTMLFormElement, factId: string, opened: Fact, problem: Problem): void {
    send<{ versions?: FactVersion[] }>('GET', '/facts/' + encodeURIComponent(factId) + '/history').then((answer) => {
      const versions = (answer.body && answer.body.versions) || [];
      const latest = versions[versions.length - 1];
      const change = (latest && latest.lastChange) || {};
      const box = clear(form.querySelector('.form-problem') as HTMLElement);
      const who = (change.actor || 'Someone') + ' ' + (change.type === 'FactRetracted' ? 'retracted' : 'corrected') + ' it at ' + (latest ? latest.recordedAt : '?');
      const sendAnyway = el('button', { type: 'button', class: 'send-anyway' }, 'Send mine on top of revision ' + problem.currentRevision);
      append(box, [
        el('p', { class: 'form-problem-title' }, 'Someone changed this since you opened it.'),
        el('p', null, who + (change.reason ? ': “' + change.reason + '”' : '.') + ' Their change:'),
        latest ? describeChange(latest, opened) : null,
        el('p', null, 'Your form still holds your text. Send it on top of theirs, or close this and look again.'),
        sendAnyway,
      ]);
      box.hidden = false;
      sendAnyway.addEventListener('click', () => {
        form.setAttribute('data-revision', String(problem.currentRevision));
        form.requestSubmit();
      });
    });
  }

  return { show, openFact };
}
