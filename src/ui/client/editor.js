/*
 * Writing from the page, for editors (an editor or admin key, or any reader while the service has
 * no keys): record a fact, assert a claim, correct or retract a fact. The page checks nothing the
 * API checks: it sends what was typed and puts the API's own problem+json reasons (errors[].field
 * and .reason) next to the fields they name. A correction or retraction is sent with If-Match: the
 * revision the form was opened at; a 412 is explained with the change someone else made meanwhile.
 */
import { $, append, clear, el } from './dom.js';

/** Every write from the page: JSON in, JSON out, the CSRF header for a cookie session. */
export function send(method, path, body, headers) {
  return fetch(path, {
    method,
    headers: Object.assign({ accept: 'application/json', 'content-type': 'application/json', 'x-annals-csrf': '1' }, headers || {}),
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(
    (response) =>
      response.text().then((text) => {
        let data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch {
          data = null;
        }
        return { ok: response.ok, status: response.status, etag: response.headers.get('etag'), body: data };
      }),
    () => ({ ok: false, status: 0, body: { title: 'The service could not be reached', detail: method + ' ' + path + ' failed: check that Annals is running.' } }),
  );
}

function field(label, name, options) {
  const o = options || {};
  const id = (o.idPrefix || 'ed') + '-' + name.replace(/[^a-zA-Z0-9]+/g, '-');
  const input =
    o.type === 'textarea'
      ? el('textarea', { id, name, rows: o.rows || 3, maxlength: o.maxlength || 4000 })
      : o.type === 'select'
        ? el('select', { id, name }, o.choices.map((c) => el('option', { value: c[0] }, c[1])))
        : el('input', { id, name, type: 'text', placeholder: o.placeholder, autocomplete: 'off', spellcheck: o.spellcheck ? 'true' : 'false', inputmode: o.inputmode });
  if (o.value !== undefined && o.value !== null) input.value = o.value;
  return el('div', { class: 'field' + (o.wide ? ' field-wide' : ''), 'data-for': name }, el('label', { for: id }, label), input, o.help ? el('p', { class: 'help' }, o.help) : null);
}

function value(form, name) {
  const input = form.querySelector('[name="' + CSS.escape(name) + '"]');
  return input ? input.value.trim() : '';
}

/** The number as typed: '1e12', '0.0001' and '7 595' all count; anything else is sent as text for the API to refuse. */
function number(text) {
  const cleaned = text.replace(/[\s,_]/g, '');
  if (cleaned === '') return undefined;
  const n = Number(cleaned);
  return isFinite(n) ? n : text;
}

function list(text) {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function entities(text) {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const m = /^(person|organisation|place)\s*:\s*(.+)$/i.exec(line);
      return m ? { type: m[1].toLowerCase(), name: m[2].trim() } : { type: 'organisation', name: line };
    });
}

function sourceFields(prefix, idPrefix) {
  return el(
    'fieldset',
    { class: 'source-fields' },
    el('legend', null, 'Source'),
    field('Publisher', prefix + '.publisher', { idPrefix }),
    field('Title', prefix + '.title', { idPrefix, spellcheck: true }),
    field('URL', prefix + '.url', { idPrefix, placeholder: 'https://…', inputmode: 'url' }),
    field('Published on', prefix + '.publishedOn', { idPrefix, placeholder: 'YYYY-MM-DD or [2019-03-28..2019-03-31]' }),
  );
}

function source(form, prefix) {
  const s = {
    publisher: value(form, prefix + '.publisher'),
    title: value(form, prefix + '.title'),
    url: value(form, prefix + '.url'),
  };
  const published = value(form, prefix + '.publishedOn');
  if (published) s.publishedOn = published;
  return s;
}

function validTimeFields(idPrefix, current) {
  const vt = current || {};
  return el(
    'fieldset',
    { class: 'when-fields' },
    el('legend', null, 'When (a day it happened, or a period it held)'),
    field('Happened on', 'validTime.at', { idPrefix, placeholder: 'YYYY, YYYY-MM or YYYY-MM-DD', value: vt.at }),
    field('Held from', 'validTime.from', { idPrefix, placeholder: 'YYYY-MM-DD', value: vt.from }),
    field('Held until', 'validTime.to', { idPrefix, placeholder: 'YYYY-MM-DD, or empty: still holds', value: vt.to }),
  );
}

function validTime(form) {
  const at = value(form, 'validTime.at');
  if (at) return { at };
  const vt = { from: value(form, 'validTime.from') };
  const to = value(form, 'validTime.to');
  if (to) vt.to = to;
  return vt;
}

/** The API's reasons beside the fields they name ('sources[0].url', 'value.qualifier', 'changes.title'); the rest above the buttons. */
export function showErrors(form, problem) {
  clearErrors(form);
  const errors = Array.isArray(problem.errors) && problem.errors.length ? problem.errors : [{ field: '', reason: problem.detail || problem.title }];
  const unplaced = [];
  errors.forEach((e) => {
    const name = String(e.field || '');
    // The named field, else the nearest enclosing one: 'sources[0].url' → 'sources[0]' → 'sources'.
    const paths = [];
    for (let path = name; path; ) {
      paths.push(path, 'changes.' + path);
      const shorter = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
      path = shorter === path ? '' : shorter;
    }
    const input = paths.map((p) => form.querySelector('[name="' + CSS.escape(p) + '"]')).find(Boolean) || null;
    if (!input) {
      unplaced.push(e);
      return;
    }
    const slot = el('p', { class: 'field-error', id: input.id + '-error' }, e.reason);
    input.insertAdjacentElement('afterend', slot);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', slot.id);
  });
  const box = form.querySelector('.form-problem');
  if (unplaced.length || problem.title) {
    append(box, [
      el('p', { class: 'form-problem-title' }, problem.title || 'The service refused this'),
      unplaced.length ? el('ul', null, unplaced.map((e) => el('li', null, (e.field ? e.field + ': ' : '') + e.reason))) : null,
    ]);
    box.hidden = false;
  }
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
}

function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((n) => n.remove());
  form.querySelectorAll('[aria-invalid]').forEach((n) => {
    n.removeAttribute('aria-invalid');
    n.removeAttribute('aria-describedby');
  });
  const box = form.querySelector('.form-problem');
  clear(box).hidden = true;
}

function done(form, text) {
  const box = form.querySelector('.form-done');
  box.textContent = text;
  box.hidden = false;
}

function formShell(id, heading, children, submitText) {
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

function recordFactForm() {
  const form = formShell(
    'record-fact',
    'Record a fact',
    [
      field('Title', 'title', { idPrefix: 'rf', spellcheck: true, wide: true }),
      field('Summary', 'summary', { idPrefix: 'rf', type: 'textarea', wide: true }),
      validTimeFields('rf'),
      field('Tags', 'tags', { idPrefix: 'rf', placeholder: 'iraq, syria', help: 'Separated by commas.' }),
      field('People, organisations, places', 'entities', { idPrefix: 'rf', type: 'textarea', rows: 2, help: 'One a line: “person: Joseph Votel”.' }),
      sourceFields('sources[0]', 'rf'),
    ],
    'Record',
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = {
      title: value(form, 'title'),
      summary: value(form, 'summary'),
      tags: list(value(form, 'tags')),
      entities: entities(form.querySelector('[name="entities"]').value),
      sources: [source(form, 'sources[0]')],
      validTime: validTime(form),
    };
    send('POST', '/facts', body, { 'idempotency-key': idempotencyKey() }).then((answer) => {
      if (!answer.ok) return showErrors(form, answer.body || {});
      form.reset();
      done(form, 'Recorded as ' + answer.body.id + '.');
    });
  });
  return form;
}

function assertClaimForm(figures) {
  const form = formShell(
    'assert-claim',
    'Assert a claim',
    [
      field('Figure', 'figureId', { idPrefix: 'ac', type: 'select', wide: true, choices: figures.map((f) => [f.id, f.name]) }),
      field('Claimant', 'claimant', { idPrefix: 'ac', spellcheck: true, help: 'Who says it (the publisher of the report goes under Source).' }),
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
      sourceFields('sources[0]', 'ac'),
    ],
    'Assert',
  );
  const kind = form.querySelector('[name="value.kind"]');
  const shape = () => {
    const k = kind.value;
    form.querySelector('[data-for="value.qualifier"]').hidden = k !== 'bound';
    form.querySelector('[data-for="value.value"]').hidden = k === 'range';
    form.querySelector('[data-for="value.min"]').hidden = k !== 'range';
    form.querySelector('[data-for="value.max"]').hidden = k !== 'range';
  };
  kind.addEventListener('change', shape);
  shape();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const k = kind.value;
    const claimValue = k === 'range' ? { kind: k, min: number(value(form, 'value.min')), max: number(value(form, 'value.max')) } : { kind: k, value: number(value(form, 'value.value')) };
    if (k === 'bound') claimValue.qualifier = value(form, 'value.qualifier');
    const body = { claimant: value(form, 'claimant'), value: claimValue, assertedOn: value(form, 'assertedOn'), sources: [source(form, 'sources[0]')] };
    const figureId = value(form, 'figureId');
    send('POST', '/figures/' + encodeURIComponent(figureId) + '/claims', body, { 'idempotency-key': idempotencyKey() }).then((answer) => {
      if (!answer.ok) return showErrors(form, answer.body || {});
      form.querySelectorAll('input').forEach((input) => (input.value = ''));
      done(form, 'Asserted as ' + answer.body.id + '.');
    });
  });
  return form;
}

function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

/**
 * The editor: the two forms in #editor, and the correction/retraction dialog for a fact.
 * describeChange(newer, older) renders what changed between two versions of a fact.
 */
export function editor(describeChange) {
  const panel = $('editor-forms');
  let built = false;

  function show(figures) {
    if (built) return;
    built = true;
    append(clear(panel), [recordFactForm(), assertClaimForm(figures)]);
  }

  /** Correct or retract a fact, at the revision read now; a 412 shows whose change came first. */
  function openFact(factId, kind, opener) {
    const dialog = $('edit-dialog');
    const body = clear($('edit-body'));
    $('edit-heading').textContent = kind === 'retract' ? 'Retract a fact' : 'Correct a fact';
    body.appendChild(el('p', { class: 'loading' }, 'Reading the fact…'));
    if (!dialog.open) dialog.showModal();
    send('GET', '/facts/' + encodeURIComponent(factId)).then((answer) => {
      if (!answer.ok) {
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
              field('Summary', 'changes.summary', { idPrefix: 'cf', type: 'textarea', value: opened.summary, wide: true }),
              field('Happened on', 'changes.validTime.at', { idPrefix: 'cf', value: opened.validTime && opened.validTime.at }),
              field('Held from', 'changes.validTime.from', { idPrefix: 'cf', value: opened.validTime && opened.validTime.from }),
              field('Held until', 'changes.validTime.to', { idPrefix: 'cf', value: opened.validTime && opened.validTime.to }),
            ];
      const form = formShell('edit-fact', 'Revision ' + revision + ' of “' + opened.title + '”', [...fields, field('Why', 'reason', { idPrefix: 'cf', type: 'textarea', rows: 2, wide: true, help: 'Kept with the change in the history.' })], kind === 'retract' ? 'Retract' : 'Correct');
      form.setAttribute('data-revision', revision);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        clearErrors(form);
        const payload = { reason: value(form, 'reason') };
        if (kind !== 'retract') {
          const changes = {};
          ['title', 'summary'].forEach((key) => {
            const now = value(form, 'changes.' + key);
            if (now !== (opened[key] || '')) changes[key] = now;
          });
          const vt = { at: value(form, 'changes.validTime.at'), from: value(form, 'changes.validTime.from'), to: value(form, 'changes.validTime.to') };
          const before = opened.validTime || {};
          if (vt.at !== (before.at || '') || vt.from !== (before.from || '') || vt.to !== (before.to || '')) {
            changes.validTime = vt.at ? { at: vt.at } : vt.to ? { from: vt.from, to: vt.to } : { from: vt.from };
          }
          payload.changes = changes;
        }
        const path = '/facts/' + encodeURIComponent(factId) + (kind === 'retract' ? '/retraction' : '/corrections');
        send('POST', path, payload, { 'if-match': '"' + form.getAttribute('data-revision') + '"' }).then((result) => {
          if (result.status === 412) return explainConflict(form, factId, opened, result.body || {});
          if (!result.ok) return showErrors(form, result.body || {});
          done(form, (kind === 'retract' ? 'Retracted' : 'Corrected') + ': now at revision ' + result.body.revision + '.');
          form.querySelector('button[type="submit"]').disabled = true;
        });
      });
      clear(body).appendChild(form);
      const first = form.querySelector('input, textarea');
      if (first) first.focus();
    });
    dialog.addEventListener('close', () => opener && document.contains(opener) && opener.focus(), { once: true });
  }

  /** A 412: someone wrote first. Show their change from the fact's history; the reader may send theirs on top. */
  function explainConflict(form, factId, opened, problem) {
    send('GET', '/facts/' + encodeURIComponent(factId) + '/history').then((answer) => {
      const versions = (answer.body && answer.body.versions) || [];
      const latest = versions[versions.length - 1];
      const change = (latest && latest.lastChange) || {};
      const box = clear(form.querySelector('.form-problem'));
      append(box, [
        el('p', { class: 'form-problem-title' }, 'Someone changed this since you opened it.'),
        el(
          'p',
          null,
          (change.actor || 'Someone') + ' ' + (change.type === 'FactRetracted' ? 'retracted' : 'corrected') + ' it at ' + (latest ? latest.recordedAt : '?') + (change.reason ? ': “' + change.reason + '”' : '.') + ' Their change:',
        ),
        latest ? describeChange(latest, opened) : null,
        el('p', null, 'Your form still holds your text. Send it on top of theirs, or close this and look again.'),
        el('button', { type: 'button', class: 'send-anyway' }, 'Send mine on top of revision ' + problem.currentRevision),
      ]);
      box.hidden = false;
      box.querySelector('.send-anyway').addEventListener('click', () => {
        form.setAttribute('data-revision', String(problem.currentRevision));
        form.requestSubmit();
      });
    });
  }

  return { show, openFact };
}
