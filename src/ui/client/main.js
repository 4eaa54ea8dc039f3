/*
 * Annals reading room: a plain script over the JSON API, no framework; esbuild bundles it with its
 * modules and the charting library into one file (scripts/build-ui.js).
 *
 * Every piece of data reaches the page as a text node or an attribute value set through the
 * DOM (never innerHTML, see dom.js), so a title such as "<b>" shows as those three characters.
 * The clocks and filters live in the address bar, so a view can be linked and the Back button works.
 */
import { $, append, clear, el, hiddenText } from './dom.js';
import { claimValue, formatNumber, fullNumber } from './numbers.js';
import { revisionChart } from './revision-chart.js';
import { connectLive } from './live.js';
import { timelineChart } from './timeline-chart.js';
import { editor } from './editor.js';

(function () {
  'use strict';

  var PAGE_SIZE = 20;
  var MAX_PAGE_SIZE = 500;
  var FIELDS = ['asOf', 'knownAt', 'tag', 'entity', 'text', 'order', 'includeRetracted'];
  var FACT_CHANGES = { FactRecorded: 'Recorded', FactCorrected: 'Corrected', FactRetracted: 'Retracted' };
  var CLAIM_KINDS = { asserted: 'Asserted', revised: 'Revised', corrected: 'Corrected', retracted: 'Retracted', ranked: 'Ranked' };
  var FACT_FIELDS = [
    ['title', 'Title'],
    ['summary', 'Summary'],
    ['validTime', 'Date'],
    ['tags', 'Tags'],
    ['entities', 'People, organisations, places'],
    ['sources', 'Sources'],
  ];

  /** Each figure card's full answer (for its chart): a live update swaps a card in once it is drawn. */
  var chartDrawn = new WeakMap();

  var view = {
    state: {},
    /** Each load gets a number; an answer that arrives after a newer load started is dropped. */
    generation: 0,
    nextCursor: null,
    shown: 0,
    historyOpener: null,
    /** Events that arrived while the page shows a past knownAt. */
    unseen: 0,
    /** The facts on the page, drawn on the zoomable timeline too. */
    loadedFacts: [],
    timeline: null,
    figures: null,
    canWrite: false,
    editor: null,
  };

  /** Only web links become links; anything else stays visible as text. */
  function link(url, text) {
    var safe = false;
    try {
      var parsed = new URL(url);
      safe = parsed.protocol === 'https:' || parsed.protocol === 'http:';
    } catch {
      safe = false;
    }
    if (!safe) return el('span', null, text + ' (' + url + ')');
    return el('a', { href: url, rel: 'noopener noreferrer external', target: '_blank' }, text, hiddenText(' (opens in a new tab)'));
  }

  // ---------- formatting ----------

  var PRECISIONS = { 4: 'year', 7: 'month', 10: 'day' };

  /** A date exactly as the source gave it: '2014', '2019-03', '2016-03-30', or a window '[2017-06-30..2017-07-28]'. */
  function partialDate(value) {
    // <wbr> after '..' lets a narrow column wrap a window between its two days, never inside one (and copies as typed).
    if (value.charAt(0) === '[') {
      var parts = value.split('..');
      return el(
        'span',
        { class: 'date-window', title: 'one day within this window' },
        el('span', { class: 'nowrap' }, parts[0] + '..'),
        parts.length > 1 ? [el('wbr'), el('span', { class: 'nowrap' }, parts.slice(1).join('..'))] : null,
      );
    }
    if (value === '..' || value === '') return el('span', { class: 'date-open' }, value === '..' ? 'open' : 'unknown');
    return el('time', { datetime: value, title: (PRECISIONS[value.length] || 'date') + ' precision' }, value);
  }

  /** 'possibly': the date's window reaches past the day asked, so it may not have happened yet. */
  function possibly(item) {
    return item && item.certainty === 'possible' ? el('span', { class: 'badge badge-possible', title: 'its date may fall after the day asked' }, 'possibly') : null;
  }

  /** 'at' as given; a period 'from – to' or 'from – present'. */
  function validTime(vt) {
    if (!vt) return el('span', null, 'undated');
    if (vt.at !== undefined) return el('span', { class: 'when' }, partialDate(vt.at));
    return el(
      'span',
      { class: 'when' },
      partialDate(vt.from),
      ' – ',
      vt.to === undefined || vt.to === '..' ? el('span', { class: 'present' }, 'present') : partialDate(vt.to),
    );
  }

  function validTimeText(vt) {
    if (!vt) return 'undated';
    if (vt.at !== undefined) return vt.at;
    return vt.from + ' – ' + (vt.to === undefined || vt.to === '..' ? 'present' : vt.to === '' ? 'unknown' : vt.to);
  }

  function signed(n) {
    return (n > 0 ? '+' : n < 0 ? '−' : '±') + formatNumber(Math.abs(n));
  }

  /**
   * Record time exactly as the API gives it, milliseconds and all ('2026-01-01T09:30:00.123Z'): copied
   * into "As known at", it finds this very version (a rounded instant would fall before it).
   */
  function instant(iso) {
    if (!iso) return el('span', null, '—');
    return el('time', { datetime: iso, class: 'instant' }, String(iso));
  }

  function plural(n, one, many) {
    return formatNumber(n) + ' ' + (n === 1 ? one : many);
  }

  // ---------- the API ----------

  function ApiProblem(problem) {
    this.problem = problem;
  }

  function query(params) {
    var search = new URLSearchParams();
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
    });
    var text = search.toString();
    return text ? '?' + text : '';
  }

  /** GET a JSON resource; a problem+json answer (or no answer) becomes an ApiProblem. */
  function api(path, params) {
    var url = path + query(params || {});
    return fetch(url, { headers: { accept: 'application/json' } }).then(
      function (response) {
        return response.text().then(function (body) {
          var data = null;
          try {
            data = body ? JSON.parse(body) : null;
          } catch {
            data = null;
          }
          if (response.ok && data !== null) return data;
          if (data && typeof data === 'object' && data.title) throw new ApiProblem(data);
          throw new ApiProblem({
            title: 'The service answered ' + response.status + (response.statusText ? ' ' + response.statusText : ''),
            detail: 'GET ' + url + ' did not return the expected JSON.',
            status: response.status,
          });
        });
      },
      function () {
        throw new ApiProblem({ title: 'The service could not be reached', detail: 'GET ' + url + ' failed: check that Annals is running.' });
      },
    );
  }

  /**
   * The login. A key is sent once to POST /auth/session, which answers with an HttpOnly cookie
   * holding a short-lived signed session: fetch and EventSource send it by themselves, the key is
   * never kept by the page and never put in a URL.
   */
  function refreshSession() {
    return fetch('/auth/session', { headers: { accept: 'application/json' } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(showSession, function () {
        showSession(null);
      });
  }

  function showSession(session) {
    var signedIn = Boolean(session && session.authenticated);
    // Editors write from the page; so does everyone while the service has no keys (its safe default is loopback only).
    view.canWrite = Boolean(session && (session.keysConfigured === false || (signedIn && (session.role === 'editor' || session.role === 'admin'))));
    document.body.classList.toggle('can-write', view.canWrite);
    $('editor').hidden = !view.canWrite;
    if (view.canWrite && view.figures) view.editor.show(view.figures);
    $('login').hidden = signedIn || !(session && session.keysConfigured);
    $('session').hidden = !signedIn;
    $('session-name').textContent = signedIn ? 'Logged in as ' + session.name + ' (' + session.role + ')' : '';
  }

  function logIn(event) {
    event.preventDefault();
    var input = $('login-key');
    fetch('/auth/session', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ key: input.value }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new ApiProblem(body);
          input.value = '';
          return refreshSession().then(function () {
            return apply(stateFromUrl(), false);
          });
        });
      })
      .catch(showProblem);
  }

  function logOut() {
    // The session cookie authenticates this request: the header proves it comes from this page.
    fetch('/auth/session', { method: 'DELETE', headers: { 'x-annals-csrf': '1' } })
      .then(refreshSession)
      .then(function () {
        return apply(stateFromUrl(), false);
      });
  }

  function showProblem(error) {
    var box = $('problem');
    if (!(error instanceof ApiProblem)) {
      // A bug in this page, not an API answer: say so rather than fail silently.
      error = new ApiProblem({ title: 'This page hit an error', detail: String(error && error.message ? error.message : error) });
    }
    var p = error.problem;
    clear(box);
    append(box, [
      el('h2', { class: 'problem-title' }, String(p.title)),
      p.detail ? el('p', { class: 'problem-detail' }, String(p.detail)) : null,
    ]);
    if (Array.isArray(p.errors) && p.errors.length > 0) {
      var list = el('ul', { class: 'problem-errors' });
      p.errors.forEach(function (e) {
        list.appendChild(el('li', null, el('code', null, String(e.field)), ': ', String(e.reason)));
      });
      box.appendChild(list);
    }
    if (p.status || p.code) {
      box.appendChild(el('p', { class: 'problem-code' }, [p.status ? 'HTTP ' + p.status : '', p.code ? ' · ' + p.code : ''].join('')));
    }
    box.hidden = false;
  }

  function clearProblem() {
    clear($('problem')).hidden = true;
  }

  // ---------- state: address bar <-> form ----------

  function stateFromUrl() {
    var params = new URLSearchParams(window.location.search);
    var state = {};
    FIELDS.forEach(function (key) {
      var value = params.get(key);
      if (value !== null && value !== '') state[key] = value;
    });
    // A page size other than the default can be linked (?limit=100); the form keeps it.
    var limit = Number(params.get('limit'));
    if (Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE_SIZE && limit !== PAGE_SIZE) state.limit = String(limit);
    return state;
  }

  var DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
  /** An instant as the API writes it; the zone may be left off (then UTC) and the fraction kept whatever its length. */
  var INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

  function stateToForm(state) {
    // The clocks as ISO text, exactly as in the address bar: no locale format, no lost milliseconds.
    $('asOf').value = state.asOf || '';
    $('knownAt').value = state.knownAt || '';
    $('tag').value = state.tag || '';
    $('entity').value = state.entity || '';
    $('text').value = state.text || '';
    $('order').value = state.order === 'desc' ? 'desc' : 'asc';
    $('includeRetracted').checked = state.includeRetracted === 'true';
  }

  /** Reads the form; returns null (and shows why, next to the field) when a clock cannot be sent. */
  function stateFromForm() {
    var state = {};
    clearFieldErrors($('clocks'));
    var asOf = $('asOf').value.trim();
    if (asOf && (!DAY_PATTERN.test(asOf) || isNaN(Date.parse(asOf + 'T00:00:00Z')))) {
      showFieldErrors($('clocks'), [{ field: 'asOf', reason: 'give a day as YYYY-MM-DD, e.g. 2019-03-31' }]);
      return null;
    }
    if (asOf) state.asOf = asOf;
    var knownAt = $('knownAt').value.trim();
    if (knownAt) {
      var withZone = /(Z|[+-]\d{2}:\d{2})$/.test(knownAt) ? knownAt : knownAt + 'Z';
      if (!INSTANT_PATTERN.test(knownAt) || isNaN(Date.parse(withZone))) {
        showFieldErrors($('clocks'), [{ field: 'knownAt', reason: 'give an instant as YYYY-MM-DDTHH:MM:SS.sssZ, e.g. 2026-01-01T09:30:00.000Z' }]);
        return null;
      }
      // Sent as typed (a recordedAt copied from the API keeps its milliseconds); only a missing zone is made UTC.
      state.knownAt = withZone;
    }
    ['tag', 'entity', 'text'].forEach(function (key) {
      var value = $(key).value.trim();
      if (value) state[key] = value;
    });
    if ($('order').value === 'desc') state.order = 'desc';
    if ($('includeRetracted').checked) state.includeRetracted = 'true';
    if (view.state.limit) state.limit = view.state.limit;
    return state;
  }

  /** The API's problem+json errors[] beside their fields: each field's .field-error slot gets its reason. */
  function showFieldErrors(form, errors) {
    var unplaced = [];
    errors.forEach(function (e) {
      var name = String(e.field || '').split(/[.[]/)[0];
      var input = name ? form.querySelector('[name="' + CSS.escape(name) + '"]') : null;
      if (!input) {
        unplaced.push(e);
        return;
      }
      var id = (input.id || name) + '-error';
      var slot = document.getElementById(id);
      if (!slot) {
        slot = el('p', { id: id, class: 'field-error' });
        input.insertAdjacentElement('afterend', slot);
      }
      slot.textContent = (slot.textContent ? slot.textContent + '; ' : '') + (e.field !== name ? e.field + ': ' : '') + e.reason;
      slot.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      var described = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      if (described.indexOf(id) < 0) input.setAttribute('aria-describedby', described.concat(id).join(' '));
    });
    var first = form.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
    return unplaced;
  }

  function clearFieldErrors(form) {
    form.querySelectorAll('.field-error').forEach(function (slot) {
      slot.textContent = '';
      slot.hidden = true;
    });
    form.querySelectorAll('[aria-invalid]').forEach(function (input) {
      input.removeAttribute('aria-invalid');
    });
  }

  function apply(state, push) {
    if (push) {
      var url = window.location.pathname + query(state);
      window.history.pushState(state, '', url);
    }
    view.state = state;
    stateToForm(state);
    return load();
  }

  // ---------- loading ----------

  function timelineParams(state, cursor) {
    var params = {};
    FIELDS.forEach(function (key) {
      if (state[key] !== undefined) params[key] = state[key];
    });
    params.limit = state.limit ? Number(state.limit) : PAGE_SIZE;
    if (cursor) params.cursor = cursor;
    return params;
  }

  function setBusy(busy) {
    document.querySelector('.columns').setAttribute('aria-busy', busy ? 'true' : 'false');
    $('load-more').disabled = busy;
  }

  function load() {
    var generation = ++view.generation;
    var state = view.state;
    clearProblem();
    setBusy(true);
    $('status').textContent = 'Loading…';
    renderClockSummary(state);
    if (view.timeline) view.timeline.reset();
    $('timeline-detail').hidden = true;

    var timeline = api('/timeline', timelineParams(state));
    // With asOf the timeline answers with the figures as of that day; otherwise ask for them.
    var figures = state.asOf
      ? timeline.then(function (page) { return page.figures || []; })
      : api('/figures', { knownAt: state.knownAt, limit: 100 }).then(function (page) { return page.items; });

    return Promise.allSettled([timeline, figures]).then(function (results) {
      if (generation !== view.generation) return;
      setBusy(false);
      var problems = results.filter(function (r) { return r.status === 'rejected'; });
      if (results[0].status === 'fulfilled') renderTimeline(results[0].value, state);
      else renderTimelineFailed();
      if (results[1].status === 'fulfilled') renderFigures(results[1].value, state);
      else clear($('figure-list'));
      // An empty store (not an empty filter) says how to start.
      var filtered = Object.keys(state).some(function (key) { return key !== 'limit' && key !== 'order'; });
      $('getting-started').hidden = !(
        !filtered &&
        results[0].status === 'fulfilled' && results[0].value.items.length === 0 &&
        results[1].status === 'fulfilled' && results[1].value.length === 0
      );
      if (problems.length > 0) {
        showProblem(problems[0].reason);
        $('status').textContent = 'The service refused this view; see the message above.';
      }
    });
  }

  // ---------- live ----------

  var LIVE_TEXT = {
    connecting: 'Connecting…',
    live: 'Live',
    back: 'Live again',
    reconnecting: 'Disconnected: reconnecting…',
  };

  function showLiveState(state) {
    $('live').setAttribute('data-state', state);
    $('live-text').textContent = LIVE_TEXT[state] || state;
  }

  /** What the events touched: fact ids, figure ids and claim ids, each with the last event type. */
  function changesOf(events) {
    var changed = { facts: {}, figures: {}, claims: {}, count: events.length };
    events.forEach(function (event) {
      var stream = String(event.streamId || '');
      if (stream.indexOf('fact-') === 0) changed.facts[stream.slice(5)] = event.type;
      if (stream.indexOf('figure-') === 0) changed.figures[stream.slice(7)] = event.type;
      if (event.data && event.data.claimId) changed.claims[event.data.claimId] = event.type;
    });
    return changed;
  }

  /**
   * New events: the parts of the page they touch are fetched again and swapped in place, marked
   * as new; the rest stays as the reader left it. A view of the past (knownAt) does not change:
   * the page only says that the record has moved on.
   */
  function onLiveEvents(events) {
    if (events.length === 0) return;
    var changed = changesOf(events);
    $('getting-started').hidden = true;
    if (view.state.knownAt) {
      view.unseen += events.length;
      $('status').textContent = plural(view.unseen, 'event', 'events') + ' recorded since this page opened; clear “As known at” to see the record as it stands now.';
      return;
    }
    var generation = view.generation;
    var state = view.state;
    var jobs = [];
    if (Object.keys(changed.facts).length > 0) {
      var shown = Math.max(view.shown, state.limit ? Number(state.limit) : PAGE_SIZE);
      jobs.push(
        api('/timeline', Object.assign(timelineParams(state), { limit: Math.min(shown, MAX_PAGE_SIZE) })).then(function (page) {
          if (generation !== view.generation) return;
          renderTimeline(page, state);
          markFacts(changed.facts);
        }),
      );
    }
    if (Object.keys(changed.figures).length > 0) {
      var figures = state.asOf
        ? api('/timeline', Object.assign(timelineParams(state), { limit: 1 })).then(function (page) { return page.figures || []; })
        : api('/figures', { limit: 100 }).then(function (page) { return page.items; });
      jobs.push(
        figures.then(function (items) {
          if (generation !== view.generation) return;
          return replaceFigures(items, state, changed);
        }),
      );
    }
    return Promise.all(jobs).catch(showProblem);
  }

  function markFacts(facts) {
    Object.keys(facts).forEach(function (id) {
      var item = document.querySelector('.fact[data-fact-id="' + CSS.escape(id) + '"]');
      if (!item) return;
      var type = facts[id];
      item.classList.add('is-new');
      var title = item.querySelector('.fact-title');
      title.insertAdjacentElement('beforebegin', el('p', { class: 'badge badge-new' }, type === 'FactRecorded' ? 'New' : type === 'FactCorrected' ? 'Just corrected' : 'Just retracted'));
    });
  }

  /** Each touched figure's card is rebuilt off-screen and swapped in once its chart is drawn, so nothing jumps. */
  function replaceFigures(items, state, changed) {
    var list = $('figure-list');
    $('figures-empty').hidden = items.length > 0;
    var swaps = items.map(function (figure, index) {
      var old = document.getElementById('card-' + figure.id);
      if (old && !changed.figures[figure.id]) return null;
      var card = figureCard(figure, state);
      return chartDrawn.get(card).then(function () {
        card.classList.add('is-new');
        card.querySelectorAll('[data-claim-id]').forEach(function (row) {
          var type = changed.claims[row.getAttribute('data-claim-id')];
          if (!type) return;
          row.classList.add('is-new');
          var label = row.querySelector('th');
          if (label) label.appendChild(el('span', { class: 'badge badge-new' }, type === 'ClaimAsserted' ? 'New' : type === 'ClaimCorrected' ? 'Corrected' : type === 'ClaimRetracted' ? 'Retracted' : 'Ranked'));
        });
        var current = document.getElementById('card-' + figure.id);
        if (current) current.replaceWith(card);
        else list.insertBefore(card, list.children[index] || null);
      });
    });
    return Promise.all(swaps);
  }

  function loadMore() {
    if (!view.nextCursor) return;
    var generation = view.generation;
    setBusy(true);
    $('status').textContent = 'Loading more facts…';
    var firstNew = view.shown;
    api('/timeline', timelineParams(view.state, view.nextCursor)).then(
      function (page) {
        if (generation !== view.generation) return;
        setBusy(false);
        appendFacts(page.items);
        setCursor(page.nextCursor);
        announceCount();
        // Keyboard readers continue where the new facts start.
        var next = $('facts').children[firstNew];
        if (next) next.querySelector('h3').focus();
      },
      function (error) {
        if (generation !== view.generation) return;
        setBusy(false);
        showProblem(error);
      },
    );
  }

  // ---------- rendering: timeline ----------

  /** The folded clocks' one line: what the view is set to, so a phone reader knows without opening it. */
  function renderControlsState(state) {
    var parts = [];
    if (state.asOf) parts.push('as of ' + state.asOf);
    if (state.knownAt) parts.push('known at ' + state.knownAt);
    if (state.tag) parts.push('#' + state.tag);
    if (state.entity) parts.push(state.entity);
    if (state.text) parts.push('“' + state.text + '”');
    $('controls-state').textContent = parts.length ? parts.join(' · ') : 'every date, the record now';
  }

  function renderClockSummary(state) {
    renderControlsState(state);
    var parts = [];
    parts.push(state.asOf ? 'The world as of ' + state.asOf : 'The world on every date');
    parts.push(state.knownAt ? 'the record as it stood at ' + state.knownAt : 'the record as it stands now');
    var filters = [];
    if (state.tag) filters.push('tag “' + state.tag + '”');
    if (state.entity) filters.push('“' + state.entity + '”');
    if (state.text) filters.push('words “' + state.text + '”');
    var text = parts.join('; ') + '.';
    if (filters.length) text += ' Only facts with ' + filters.join(', ') + '.';
    $('clock-summary').textContent = text;
  }

  function renderTimelineFailed() {
    clear($('facts'));
    $('in-effect').hidden = true;
    $('facts-empty').hidden = true;
    setCursor(null);
  }

  function renderTimeline(page, state) {
    clear($('facts'));
    view.shown = 0;
    view.loadedFacts = [];
    renderInEffect(page.inEffect, state.asOf, page.inEffectMore);
    appendFacts(page.items);
    setCursor(page.nextCursor);
    $('facts-empty').hidden = page.items.length > 0;
    announceCount();
  }

  function announceCount() {
    $('status').textContent =
      'Showing ' + plural(view.shown, 'fact', 'facts') + (view.nextCursor ? '; more can be loaded.' : '.');
  }

  function setCursor(cursor) {
    view.nextCursor = cursor || null;
    $('load-more').hidden = !view.nextCursor;
  }

  function renderInEffect(states, asOf, more) {
    var box = $('in-effect');
    if (!asOf || !Array.isArray(states)) {
      box.hidden = true;
      return;
    }
    $('in-effect-day').textContent = asOf;
    var list = clear($('in-effect-list'));
    if (states.length === 0) list.appendChild(el('li', { class: 'empty' }, 'No recorded state held on that day.'));
    states.forEach(function (fact) {
      list.appendChild(
        el(
          'li',
          null,
          el('span', { class: 'in-effect-title' }, fact.title),
          el('span', { class: 'in-effect-when' }, validTime(fact.validTime)),
          fact.entities && fact.entities.length
            ? el('span', { class: 'in-effect-entities' }, fact.entities.map(function (e) { return e.name; }).join(' · '))
            : null,
        ),
      );
    });
    if (more) list.appendChild(el('li', { class: 'empty' }, 'More states held that day: these are the ones that began most recently. Narrow with a tag or entity.'));
    box.hidden = false;
  }

  function appendFacts(items) {
    view.loadedFacts = view.loadedFacts.concat(items);
    if (view.timeline) view.timeline.update(view.loadedFacts);
    var list = $('facts');
    items.forEach(function (fact) {
      list.appendChild(factItem(fact));
      view.shown++;
    });
  }

  function factItem(fact) {
    var retracted = fact.status === 'retracted';
    var headingId = 'fact-' + view.generation + '-' + view.shown;
    var item = el('li', { class: 'fact' + (fact.kind === 'state' ? ' fact-state' : '') + (retracted ? ' fact-retracted' : ''), 'data-fact-id': fact.id });
    var date = el(
      'div',
      { class: 'fact-date' },
      validTime(fact.validTime),
      el('span', { class: 'fact-kind' }, fact.kind === 'state' ? 'held' : 'happened'),
      possibly(fact),
    );
    var article = el('article', { class: 'fact-body', 'aria-labelledby': headingId });
    article.appendChild(el('h3', { id: headingId, class: 'fact-title', tabindex: '-1' }, fact.title));
    if (retracted) {
      article.appendChild(
        el('p', { class: 'badge badge-retracted' }, 'Retracted' + (fact.lastChange && fact.lastChange.reason ? ': ' + fact.lastChange.reason : '')),
      );
    }
    if (fact.summary) article.appendChild(el('p', { class: 'fact-summary' }, fact.summary));
    article.appendChild(labels(fact));
    if (fact.sources && fact.sources.length) article.appendChild(sourceList(fact.sources));
    var corrected = fact.lastChange && fact.lastChange.type === 'FactCorrected';
    article.appendChild(
      el(
        'p',
        { class: 'fact-meta' },
        el('span', null, (corrected ? 'Corrected' : retracted ? 'Retracted' : 'Recorded') + ' ', instant(fact.recordedAt)),
        corrected && fact.lastChange.reason ? el('span', null, ' — “' + fact.lastChange.reason + '”') : null,
        ' ',
        el(
          'button',
          { type: 'button', class: 'link-button', 'data-history': fact.id },
          'History',
          hiddenText(' of “' + fact.title + '”'),
        ),
        el('button', { type: 'button', class: 'link-button edit-only', 'data-edit-fact': fact.id, 'data-edit-kind': 'correct' }, 'Correct', hiddenText(' “' + fact.title + '”')),
        retracted ? null : el('button', { type: 'button', class: 'link-button edit-only', 'data-edit-fact': fact.id, 'data-edit-kind': 'retract' }, 'Retract', hiddenText(' “' + fact.title + '”')),
      ),
    );
    append(item, [date, article]);
    return item;
  }

  /** A fact chosen on the zoomable timeline: its details and sources under the chart. */
  function showFactDetail(fact) {
    var box = clear($('timeline-detail'));
    var item = factItem(fact);
    var heading = item.querySelector('h3');
    heading.id = 'detail-' + heading.id;
    item.querySelector('article').setAttribute('aria-labelledby', heading.id);
    append(box, [
      el('div', { class: 'detail-head' }, el('button', { type: 'button', id: 'detail-close', class: 'close' }, 'Close', hiddenText(' the details of “' + fact.title + '”'))),
      el('ol', { class: 'facts' }, item),
    ]);
    box.hidden = false;
    $('detail-close').addEventListener('click', function () {
      box.hidden = true;
      var mark = document.querySelector('.timeline-chart .mark[data-fact-id="' + CSS.escape(fact.id) + '"]');
      if (mark) mark.focus();
    });
  }

  function labels(fact) {
    var box = el('div', { class: 'labels' });
    if (fact.tags && fact.tags.length) {
      var tags = el('ul', { class: 'chips', 'aria-label': 'Tags' });
      fact.tags.forEach(function (tag) {
        tags.appendChild(
          el('li', null, el('button', { type: 'button', class: 'chip chip-tag', 'data-tag': tag }, hiddenText('Show only facts tagged '), '#' + tag)),
        );
      });
      box.appendChild(tags);
    }
    if (fact.entities && fact.entities.length) {
      var entities = el('ul', { class: 'chips', 'aria-label': 'People, organisations and places' });
      fact.entities.forEach(function (entity) {
        entities.appendChild(
          el(
            'li',
            null,
            el(
              'button',
              { type: 'button', class: 'chip chip-entity chip-' + entity.type, 'data-entity': entity.name },
              hiddenText('Show only facts about '),
              entity.name,
              el('span', { class: 'chip-type' }, ' ' + entity.type),
            ),
          ),
        );
      });
      box.appendChild(entities);
    }
    return box;
  }

  function sourceList(sources) {
    var list = el('ul', { class: 'sources', 'aria-label': 'Sources' });
    sources.forEach(function (source) {
      list.appendChild(
        el(
          'li',
          null,
          el('span', { class: 'source-publisher' }, source.publisher),
          ': ',
          link(source.url, source.title),
          source.publishedOn
            ? el('span', { class: 'source-date' }, ' (', partialDate(source.publishedOn), ')')
            : source.accessedOn
              ? el('span', { class: 'source-date' }, ' (undated; read ', partialDate(source.accessedOn), ')')
              : el('span', { class: 'source-date' }, ' (undated)'),
          source.archivedUrl ? el('span', { class: 'source-archive' }, ' · ', link(source.archivedUrl, 'archived copy')) : null,
          source.quote ? el('blockquote', { class: 'source-quote' }, el('p', null, source.quote)) : null,
        ),
      );
    });
    return list;
  }

  // ---------- rendering: figures ----------

  function renderFigures(figures, state) {
    var list = clear($('figure-list'));
    $('figures-note').textContent = state.asOf
      ? 'Each claimant’s latest number certainly asserted by ' + state.asOf + '; numbers whose date may fall later are marked “possibly newer”.'
      : 'Each claimant’s latest number.';
    $('figures-empty').hidden = figures.length > 0;
    view.figures = figures;
    if (view.canWrite) view.editor.show(figures);
    figures.forEach(function (figure) {
      list.appendChild(figureCard(figure, state));
    });
  }

  function figureCard(figure, state) {
    var headingId = 'figure-' + figure.id;
    var card = el('article', { class: 'figure', id: 'card-' + figure.id, 'data-figure-id': figure.id, 'aria-labelledby': headingId });
    card.appendChild(el('h3', { id: headingId, class: 'figure-name' }, figure.name));
    var scope = [];
    if (figure.scope && figure.scope.places && figure.scope.places.length) scope.push(figure.scope.places.join(', '));
    if (figure.scope && figure.scope.period) scope.push(validTimeText(figure.scope.period));
    card.appendChild(el('p', { class: 'figure-scope' }, 'Unit: ' + figure.unit + (scope.length ? ' · ' + scope.join(' · ') : '')));

    if (!figure.claims || figure.claims.length === 0) {
      card.appendChild(el('p', { class: 'empty' }, 'No claim asserted by then.'));
    } else {
      card.appendChild(claimsTable(figure));
      // A list shows a few claimants (the spread's ends, the latest); the figure's own answer, asked for below, has them all.
      if (figure.claimsMore > 0) card.appendChild(el('p', { class: 'claims-more loading' }, 'and ' + figure.claimsMore + ' more claimants…'));
      card.appendChild(spread(figure));
    }
    // The chart needs every claimant's history: drawn when the figure's full answer arrives.
    var chartSlot = el('div', { class: 'chart-slot' }, el('p', { class: 'loading' }, 'Drawing the revision chart…'));
    card.insertBefore(chartSlot, card.querySelector('.claims, .empty'));
    if (figure.description) {
      card.appendChild(el('details', { class: 'figure-about' }, el('summary', null, 'About this figure'), el('p', { class: 'figure-description' }, figure.description)));
    }

    var details = el('details', { class: 'figure-history' });
    var summary = el('summary', null, 'Revision history', hiddenText(' of “' + figure.name + '”'));
    var body = el('div', { class: 'figure-history-body' }, el('p', { class: 'loading' }, 'Opening…'));
    append(details, [summary, body]);
    card.appendChild(details);
    var full = api('/figures/' + encodeURIComponent(figure.id), { asOf: state.asOf, knownAt: state.knownAt });
    full.then(
      function (answer) {
        if (figure.claimsMore > 0) {
          var shown = card.querySelector('table.claims');
          if (shown) shown.replaceWith(claimsTable(answer));
          var more = card.querySelector('.claims-more');
          if (more) more.remove();
        }
        clear(chartSlot).appendChild(revisionChart(answer, { asOf: state.asOf }));
        clear(body).appendChild(figureHistory(answer));
        if (answer.historyNext) body.appendChild(moreRevisions(answer, state, chartSlot, body));
      },
      function (error) {
        clear(chartSlot).appendChild(el('p', { class: 'empty' }, 'The chart could not be drawn: ' + (error.problem ? error.problem.title : 'no answer') + '.'));
        clear(body).appendChild(el('p', { class: 'empty' }, 'The history could not be loaded.'));
      },
    );
    chartDrawn.set(card, full.catch(function () {}));
    return card;
  }

  function claimsTable(figure) {
    var max = figure.spread ? figure.spread.high : 0;
    var table = el('table', { class: 'claims' });
    table.appendChild(el('caption', { class: 'visually-hidden' }, 'Claims for ' + figure.name + ', lowest first'));
    table.appendChild(
      el(
        'thead',
        null,
        el('tr', null, el('th', { scope: 'col' }, 'Claimant'), el('th', { scope: 'col', class: 'num' }, 'Says'), el('th', { scope: 'col' }, 'Said on')),
      ),
    );
    var body = el('tbody');
    figure.claims.forEach(function (claim) {
      var source = (claim.sources || [claim.source])[0] || {};
      var newer = (claim.possiblyNewer || []).map(function (c) { return claimValue(c.value) + ' (' + c.assertedOn + ')'; });
      var bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
      var solid = el('span', { class: 'bar-solid' });
      var range = el('span', { class: 'bar-range' });
      if (max > 0) {
        solid.style.width = ((claim.low / max) * 100).toFixed(2) + '%';
        range.style.width = (((claim.high - claim.low) / max) * 100).toFixed(2) + '%';
      }
      append(bar, [solid, range]);
      body.appendChild(
        el(
          'tr',
          { 'data-claim-id': claim.claimId, 'data-claimant': claim.claimant },
          el(
            'th',
            { scope: 'row', class: 'claimant' },
            claim.claimant,
            el('span', { class: 'claim-source' }, link(source.url, source.publisher)),
            claim.rank && claim.rank.value !== 'normal' ? el('span', { class: 'badge badge-rank' }, claim.rank.value) : null,
          ),
          el(
            'td',
            { class: 'num' },
            el('span', { class: 'claim-value', title: claim.low === claim.high ? fullNumber(claim.low) : fullNumber(claim.low) + '–' + fullNumber(claim.high) }, claimValue(claim.value)),
            claim.period ? el('span', { class: 'claim-period' }, validTimeText(claim.period)) : null,
            newer.length ? el('span', { class: 'claim-possibly-newer' }, 'possibly newer: ' + newer.join('; ')) : null,
            bar,
          ),
          el('td', { class: 'claim-date' }, partialDate(claim.assertedOn)),
        ),
      );
    });
    table.appendChild(body);
    return table;
  }

  function spread(figure) {
    var s = figure.spread;
    if (!s || figure.claims.length < 2) {
      return el('p', { class: 'spread' }, 'One claimant so far: nothing to compare.');
    }
    return el(
      'p',
      { class: 'spread' },
      el('span', { class: 'spread-label' }, 'Spread'),
      ' ' + formatNumber(s.low) + ' to ' + formatNumber(s.high),
      s.ratio !== null && s.ratio !== undefined
        ? el('span', { class: 'spread-ratio' }, ' ×' + s.ratio, hiddenText(' (the highest claim is ' + s.ratio + ' times the lowest)'))
        : null,
    );
  }

  function figureHistory(figure) {
    var box = el('div', { class: 'claimant-histories' });
    var claimants = Object.keys(figure.history || {});
    if (claimants.length === 0) box.appendChild(el('p', { class: 'empty' }, 'Nothing recorded by then.'));
    claimants.forEach(function (claimant) {
      var section = el('section', { class: 'claimant-history' });
      section.appendChild(el('h4', null, claimant));
      var list = el('ol', { class: 'revisions' });
      figure.history[claimant].forEach(function (entry) {
        list.appendChild(historyEntry(entry));
      });
      section.appendChild(list);
      box.appendChild(section);
    });
    return box;
  }

  /**
   * The figure's answer holds the first page of its history: the rest comes a page at a time, each
   * appended to its claimant's list (a claimant may continue from one page to the next), and the chart
   * is drawn again over everything loaded so far.
   */
  function moreRevisions(answer, state, chartSlot, body) {
    var button = el('button', { type: 'button', class: 'load-more-revisions' }, 'Load more revisions');
    button.addEventListener('click', function () {
      button.disabled = true;
      var params = { asOf: state.asOf, knownAt: state.knownAt, cursor: answer.historyNext };
      api('/figures/' + encodeURIComponent(answer.id) + '/history', params).then(
        function (page) {
          Object.keys(page.history).forEach(function (claimant) {
            answer.history[claimant] = (answer.history[claimant] || []).concat(page.history[claimant]);
          });
          answer.historyNext = page.historyNext;
          clear(chartSlot).appendChild(revisionChart(answer, { asOf: state.asOf }));
          clear(body).appendChild(figureHistory(answer));
          if (answer.historyNext) body.appendChild(moreRevisions(answer, state, chartSlot, body));
        },
        function (error) {
          button.disabled = false;
          button.textContent = 'Load more revisions (failed: ' + (error.problem ? error.problem.title : 'no answer') + '; try again)';
        },
      );
    });
    return button;
  }

  function historyEntry(entry) {
    var item = el('li', { class: 'revision revision-' + entry.kind });
    var head = el(
      'p',
      { class: 'revision-head' },
      el('span', { class: 'badge badge-' + entry.kind }, CLAIM_KINDS[entry.kind] || entry.kind),
      ' ',
      el('span', { class: 'revision-value' }, claimValue(entry.value)),
      ' · said on ',
      partialDate(entry.assertedOn),
      possibly(entry),
    );
    item.appendChild(head);
    if (entry.kind === 'revised' && entry.previous) {
      var change = entry.change || {};
      item.appendChild(
        el(
          'p',
          { class: 'revision-change' },
          'Was ' + claimValue(entry.previous.value) + ' (' + entry.previous.assertedOn + '); change ' + signed(change.high || 0),
          change.ratio !== null && change.ratio !== undefined ? ' (×' + change.ratio + ')' : '',
        ),
      );
    }
    if (entry.orderUncertain) {
      item.appendChild(el('p', { class: 'revision-change' }, 'Order uncertain: its date may fall before or after the claim(s) above, so no change is shown.'));
    }
    if (entry.kind === 'ranked' && entry.rank) {
      item.appendChild(el('p', { class: 'revision-reason' }, 'Ranked ' + entry.rank.value + (entry.actor ? ' by ' + entry.actor : ''), entry.reason ? ': “' + entry.reason + '”' : ''));
    }
    if (entry.kind === 'corrected' || entry.kind === 'retracted') {
      item.appendChild(
        el(
          'p',
          { class: 'revision-reason' },
          (entry.kind === 'corrected' ? 'Our record corrected' : 'Our record retracted') + (entry.actor ? ' by ' + entry.actor : ''),
          entry.reason ? ': “' + entry.reason + '”' : '',
        ),
      );
    }
    item.appendChild(
      el('p', { class: 'revision-meta' }, 'Recorded ', instant(entry.recordedAt), entry.actor && entry.kind !== 'corrected' && entry.kind !== 'retracted' ? ' by ' + entry.actor : ''),
    );
    return item;
  }

  // ---------- fact history dialog ----------

  function openFactHistory(factId, opener) {
    var dialog = $('history');
    var body = clear($('history-body'));
    $('history-heading').textContent = 'History';
    body.appendChild(el('p', { class: 'loading' }, 'Loading the history…'));
    view.historyOpener = opener;
    if (!dialog.open) dialog.showModal();
    $('history-close').focus();
    api('/facts/' + encodeURIComponent(factId) + '/history').then(
      function (history) {
        var versions = history.versions || [];
        var latest = versions[versions.length - 1];
        $('history-heading').textContent = 'History of “' + (latest ? latest.title : factId) + '”';
        clear(body).appendChild(versionList(versions));
      },
      function (error) {
        clear(body).appendChild(el('p', { class: 'empty' }, 'The history could not be loaded.'));
        dialog.close();
        showProblem(error);
      },
    );
  }

  function versionList(versions) {
    var list = el('ol', { class: 'versions' });
    versions.forEach(function (version, index) {
      var previous = index > 0 ? versions[index - 1] : null;
      var change = version.lastChange || {};
      var item = el('li', { class: 'version' });
      item.appendChild(
        el(
          'p',
          { class: 'version-head' },
          el('span', { class: 'badge badge-' + (FACT_CHANGES[change.type] || 'recorded').toLowerCase() }, FACT_CHANGES[change.type] || change.type),
          ' version ' + (index + 1) + ' · ',
          instant(version.recordedAt),
          change.actor ? ' by ' + change.actor : ' (no actor given)',
        ),
      );
      if (change.reason) item.appendChild(el('p', { class: 'version-reason' }, 'Reason: “' + change.reason + '”'));
      item.appendChild(versionFields(version, previous));
      item.appendChild(
        el(
          'p',
          { class: 'version-meta' },
          version.supersededAt ? el('span', null, 'In force until ', instant(version.supersededAt)) : el('span', null, 'In force now'),
          ' · log position ' + version.position,
        ),
      );
      list.appendChild(item);
    });
    return list;
  }

  function fieldText(key, value) {
    if (value === undefined || value === null) return '—';
    if (key === 'validTime') return validTimeText(value);
    if (key === 'tags') return value.map(function (t) { return '#' + t; }).join(' ');
    if (key === 'entities') return value.map(function (e) { return e.name + ' (' + e.type + ')'; }).join('; ');
    if (key === 'sources') return value.map(function (s) { return s.publisher + ': ' + s.title + ' (' + s.publishedOn + ') ' + s.url; }).join('; ');
    return String(value);
  }

  /** The first version in full; each later one shows only what changed, old beside new. */
  function versionFields(version, previous) {
    var list = el('dl', { class: 'version-fields' });
    var changed = 0;
    FACT_FIELDS.forEach(function (pair) {
      var key = pair[0];
      var now = fieldText(key, version[key]);
      if (previous) {
        var before = fieldText(key, previous[key]);
        if (before === now) return;
        changed++;
        append(list, [el('dt', null, pair[1]), el('dd', null, el('del', null, hiddenText('was: '), before), ' ', el('ins', null, hiddenText('now: '), now))]);
      } else {
        // The first version in full; its sources as links, as on the timeline.
        var shown = key === 'sources' && Array.isArray(version.sources) ? sourceList(version.sources) : now;
        append(list, [el('dt', null, pair[1]), el('dd', null, shown)]);
      }
    });
    if (previous && changed === 0) {
      return el('p', { class: 'version-same' }, version.status === 'retracted' ? 'The record was withdrawn; its text is unchanged.' : 'No field changed.');
    }
    return list;
  }

  // ---------- wiring ----------

  function onClick(event) {
    var target = event.target.closest('button');
    if (!target) return;
    if (target.hasAttribute('data-edit-fact')) {
      view.editor.openFact(target.getAttribute('data-edit-fact'), target.getAttribute('data-edit-kind'), target);
    } else if (target.hasAttribute('data-history')) {
      openFactHistory(target.getAttribute('data-history'), target);
    } else if (target.hasAttribute('data-tag')) {
      var withTag = Object.assign({}, view.state, { tag: target.getAttribute('data-tag') });
      apply(withTag, true).then(focusTimeline);
    } else if (target.hasAttribute('data-entity')) {
      var withEntity = Object.assign({}, view.state, { entity: target.getAttribute('data-entity') });
      apply(withEntity, true).then(focusTimeline);
    }
  }

  function focusTimeline() {
    $('timeline-heading').focus();
  }

  function start() {
    $('clocks').addEventListener('submit', function (event) {
      event.preventDefault();
      var state = stateFromForm();
      if (state) apply(state, true);
    });
    $('reset').addEventListener('click', function () {
      apply(view.state.limit ? { limit: view.state.limit } : {}, true);
    });
    $('load-more').addEventListener('click', loadMore);
    document.querySelector('main').addEventListener('click', onClick);
    var dialog = $('history');
    $('history-close').addEventListener('click', function () {
      dialog.close();
    });
    // A click on the backdrop (the dialog element itself, outside its content) closes it.
    dialog.addEventListener('click', function (event) {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener('close', function () {
      if (view.historyOpener && document.contains(view.historyOpener)) view.historyOpener.focus();
      view.historyOpener = null;
    });
    $('login').addEventListener('submit', logIn);
    view.editor = editor(function (newer, older) {
      return versionFields(newer, older);
    });
    $('edit-close').addEventListener('click', function () {
      $('edit-dialog').close();
    });
    view.timeline = timelineChart(showFactDetail);
    $('timeline-chart-slot').appendChild(view.timeline.element);
    connectLive(onLiveEvents, showLiveState);
    // On a phone the story comes first: the clocks and filters fold into one line above it.
    if (window.matchMedia('(max-width: 720px)').matches) $('controls').open = false;
    $('logout').addEventListener('click', logOut);
    refreshSession();
    window.addEventListener('popstate', function () {
      apply(stateFromUrl(), false);
    });
    apply(stateFromUrl(), false);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
