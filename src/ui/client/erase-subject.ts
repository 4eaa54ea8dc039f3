/*
 * Erasing a person from the page (admins; docs/erasure.md): the name as recorded (or the subject's
 * id) and why, then a second step that says what cannot be undone before anything is sent. The
 * page sends what was typed to POST /admin/subjects/erase and shows the API's own answer: the
 * problem+json reasons beside the fields they name, or the subject erased and when.
 */
import type { Problem } from './api-types';
import { send } from './api';
import { append, clear, el } from './dom';
import { clearErrors, done, field, formShell, showErrors, value } from './editor-form';

interface Erased {
  subject: string;
  erasedAt: string;
}

/** Told on the document after an erasure: what the page shows must be read again. */
export const ERASED_EVENT = 'annals:erased';

export function eraseSubjectForm(): HTMLFormElement {
  const form = formShell(
    'erase-subject',
    'Erase a person',
    [
      el(
        'p',
        { class: 'help field-wide' },
        'Destroys the key of everything recorded about this person. Every answer, now and as known in the past, then shows [erased on ' +
          new Date().toISOString().slice(0, 10) +
          '] in its place. The record, its history and its proofs stay intact. It cannot be undone.',
      ),
      field('Person', 'subject', { idPrefix: 'es', wide: true, help: 'The name as recorded (case and spacing do not matter), or the subject id.' }),
      field('Why', 'reason', { idPrefix: 'es', type: 'textarea', rows: 2, wide: true, help: 'Kept in the log with the erasure: write no personal data here.' }),
    ],
    'Erase…',
  );
  form.classList.add('erase-form');
  const confirm = el('div', { class: 'erase-confirm', role: 'group', 'aria-label': 'Confirm the erasure', hidden: true });
  form.querySelector('.actions')?.insertAdjacentElement('beforebegin', confirm);
  const submit = form.querySelector('button[type="submit"]') as HTMLButtonElement;

  const cancel = () => {
    clear(confirm).hidden = true;
    submit.disabled = false;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    (form.querySelector('.form-done') as HTMLElement).hidden = true;
    const subject = value(form, 'subject');
    const reason = value(form, 'reason');
    const erase = el('button', { type: 'button', class: 'danger' }, 'Erase for good');
    const back = el('button', { type: 'button' }, 'Cancel');
    append(clear(confirm), [el('p', { class: 'erase-question' }, 'Erase everything recorded about “' + subject + '”? This cannot be undone.'), erase, ' ', back]);
    confirm.hidden = false;
    submit.disabled = true;
    erase.focus();
    back.addEventListener('click', () => {
      cancel();
      submit.focus();
    });
    erase.addEventListener('click', () => {
      erase.disabled = true;
      send<Erased & Problem>('POST', '/admin/subjects/erase', { subject, reason }).then((answer) => {
        cancel();
        if (!answer.ok || !answer.body) return showErrors(form, answer.body || {});
        form.reset();
        done(form, 'Erased subject ' + answer.body.subject + ' on ' + answer.body.erasedAt + ': what was recorded about them now reads [erased on ' + answer.body.erasedAt.slice(0, 10) + '].');
        document.dispatchEvent(new CustomEvent(ERASED_EVENT, { detail: answer.body }));
      });
    });
  });
  return form;
}
