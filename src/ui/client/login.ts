/*
 * The login. A key is sent once to POST /auth/session, which answers with an HttpOnly cookie
 * holding a short-lived signed session: fetch and EventSource send it by themselves, the key is
 * never kept by the page and never put in a URL.
 */
import type { Problem, Session } from './api-types';
import { ApiProblem } from './api';
import { $, input } from './dom';
import { showProblem } from './problem';
import { view } from './view';

/**
 * Wires the login form and the logout button; `onChange` runs after either (the view is loaded
 * again: what a reader may see can change with the role). `onWrite` runs when writing becomes allowed.
 */
export function startLogin(onChange: () => Promise<unknown>, onWrite: () => void): Promise<void> {
  const refresh = () => refreshSession(onWrite);
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    logIn(refresh).then(onChange).catch(showProblem);
  });
  $('logout').addEventListener('click', () => {
    // The session cookie authenticates this request: the header proves it comes from this page.
    fetch('/auth/session', { method: 'DELETE', headers: { 'x-annals-csrf': '1' } })
      .then(refresh)
      .then(onChange);
  });
  return refresh();
}

async function logIn(refresh: () => Promise<void>): Promise<void> {
  const key = input('login-key');
  const response = await fetch('/auth/session', {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ key: key.value }),
  });
  const body = (await response.json()) as Problem;
  if (!response.ok) throw new ApiProblem(body);
  key.value = '';
  await refresh();
}

async function refreshSession(onWrite: () => void): Promise<void> {
  let session: Session | null = null;
  try {
    const response = await fetch('/auth/session', { headers: { accept: 'application/json' } });
    session = response.ok ? ((await response.json()) as Session) : null;
  } catch {
    session = null;
  }
  showSession(session, onWrite);
}

function showSession(session: Session | null, onWrite: () => void): void {
  const signedIn = Boolean(session && session.authenticated);
  // Editors write from the page; so does everyone while the service has no keys (its safe default is loopback only).
  view.canWrite = Boolean(session && (session.keysConfigured === false || (signedIn && (session.role === 'editor' || session.role === 'admin'))));
  document.body.classList.toggle('can-write', view.canWrite);
  // Erasing a person is an admin's (or anyone's while the service has no keys, as every write is).
  document.body.classList.toggle('can-erase', Boolean(session && (session.keysConfigured === false || (signedIn && session.role === 'admin'))));
  $('editor').hidden = !view.canWrite;
  if (view.canWrite) onWrite();
  $('login').hidden = signedIn || !(session && session.keysConfigured);
  $('session').hidden = !signedIn;
  $('session-name').textContent = signedIn && session ? 'Logged in as ' + session.name + ' (' + session.role + ')' : '';
}
