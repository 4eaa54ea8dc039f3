/*
 * Watches on the page: each figure card gets a "Watch this answer" button that saves the question
 * the card answers (the figure as of the page's "as of" day) as a watch, and the card is marked
 * when that answer changes, live (the notices stream) or since the last visit (the notices kept).
 * Kept apart from annals.js, and reading only the figure cards it finds (article.figure with an
 * h3 id "figure-<id>" or its own data-figure-id), so that the page can change around it.
 * Watches this browser made are remembered in localStorage: { "<figureId>|<asOf>": { id, seen } }.
 */
(function () {
  'use strict';

  var STORE = 'annals.watches';
  var marked = {};

  function load() {
    try {
      return JSON.parse(localStorage.getItem(STORE) || '{}') || {};
    } catch (e) {
      return {};
    }
  }

  function save(all) {
    try {
      localStorage.setItem(STORE, JSON.stringify(all));
    } catch (e) {
      /* private mode: watches still work for this visit */
    }
  }

  function asOf() {
    var input = document.getElementById('asOf');
    var fromUrl = new URLSearchParams(location.search).get('asOf');
    return (input && input.value) || fromUrl || '';
  }

  function keyOf(figureId, day) {
    return figureId + '|' + day;
  }

  function figureIdOf(card) {
    if (card.dataset.figureId) return card.dataset.figureId;
    var heading = card.querySelector('h3[id^="figure-"]');
    return heading ? heading.id.slice('figure-'.length) : null;
  }

  function request(method, path, body) {
    var headers = { accept: 'application/json', 'x-annals-csrf': '1' };
    if (body) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin' }).then(function (response) {
      return response.text().then(function (text) {
        var data = text ? JSON.parse(text) : null;
        if (!response.ok) throw new Error((data && (data.detail || data.title)) || 'HTTP ' + response.status);
        return data;
      });
    });
  }

  function text(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  /** The watch controls of one card, made once and brought up to date on every change of the page. */
  function decorate(card) {
    var figureId = figureIdOf(card);
    if (!figureId) return;
    var day = asOf();
    var box = card.querySelector('.watch-box');
    if (!box) {
      box = text('div', 'watch-box');
      box.setAttribute('role', 'group');
      box.setAttribute('aria-label', 'Watch this answer');
      card.appendChild(box);
    }
    if (box.dataset.key === keyOf(figureId, day) && box.dataset.state === stateOf(figureId, day)) return;
    render(box, card, figureId, day);
  }

  function stateOf(figureId, day) {
    var watch = load()[keyOf(figureId, day)];
    if (!watch) return 'none';
    return marked[watch.id] ? 'changed' : 'watching';
  }

  function render(box, card, figureId, day) {
    var key = keyOf(figureId, day);
    var watch = load()[key];
    box.dataset.key = key;
    box.dataset.state = stateOf(figureId, day);
    while (box.firstChild) box.removeChild(box.firstChild);
    card.style.outline = '';
    var when = day ? 'as of ' + day : 'as the record stands';
    if (!watch) {
      var start = text('button', 'watch-start', 'Watch this answer');
      start.type = 'button';
      start.title = 'Be told when the answer ' + when + ' changes: a correction, a retraction, a claim backdated into it';
      start.addEventListener('click', function () {
        start.disabled = true;
        var body = { kind: 'figure', figureId: figureId, title: 'Watched from the page' };
        if (day) body.asOf = day;
        request('POST', '/watches', body).then(
          function (created) {
            var all = load();
            all[key] = { id: created.watch.id, seen: null };
            save(all);
            follow();
            render(box, card, figureId, day);
          },
          function (error) {
            start.disabled = false;
            box.appendChild(text('p', 'watch-error', 'Could not watch: ' + error.message));
          },
        );
      });
      box.appendChild(start);
      return;
    }
    var notice = marked[watch.id];
    var status = text('p', 'watch-status', notice ? 'The answer ' + when + ' has changed since you began watching it: ' + notice.summary : 'Watching the answer ' + when + '.');
    status.setAttribute('role', 'status');
    box.appendChild(status);
    if (notice) {
      card.style.outline = '3px solid #b35900';
      card.classList.add('watch-changed');
      var seen = text('button', 'watch-seen', 'Mark as seen');
      seen.type = 'button';
      seen.addEventListener('click', function () {
        var all = load();
        if (all[key]) all[key].seen = notice.sequence;
        save(all);
        delete marked[watch.id];
        card.classList.remove('watch-changed');
        render(box, card, figureId, day);
      });
      box.appendChild(seen);
    } else {
      card.classList.remove('watch-changed');
    }
    var stop = text('button', 'watch-stop', 'Stop watching');
    stop.type = 'button';
    stop.addEventListener('click', function () {
      request('DELETE', '/watches/' + encodeURIComponent(watch.id)).then(forget, function (error) {
        if (/not found/.test(error.message)) forget();
        else box.appendChild(text('p', 'watch-error', 'Could not stop: ' + error.message));
      });
      function forget() {
        var all = load();
        delete all[key];
        save(all);
        delete marked[watch.id];
        follow();
        render(box, card, figureId, day);
      }
    });
    box.appendChild(stop);
  }

  function decorateAll() {
    var cards = document.querySelectorAll('article.figure');
    for (var i = 0; i < cards.length; i++) decorate(cards[i]);
  }

  function mark(notice) {
    var all = load();
    var mine = Object.keys(all).some(function (key) {
      return all[key].id === notice.watchId && (all[key].seen === null || Number(notice.sequence) > Number(all[key].seen));
    });
    if (!mine) return;
    marked[notice.watchId] = notice;
    decorateAll();
  }

  /** Changes since the last visit: each watch's notices after the one last marked seen. */
  function catchUp() {
    var all = load();
    Object.keys(all).forEach(function (key) {
      var watch = all[key];
      var query = watch.seen ? '?after=' + encodeURIComponent(watch.seen) : '?limit=1';
      request('GET', '/watches/' + encodeURIComponent(watch.id) + '/notices' + query).then(
        function (page) {
          if (page.items.length) mark(page.items[page.items.length - 1]);
        },
        function (error) {
          // Deleted elsewhere: forget it.
          if (/not found/.test(error.message)) {
            var now = load();
            delete now[key];
            save(now);
            decorateAll();
          }
        },
      );
    });
  }

  var source;

  /** One stream of the notices of this browser's watches, opened again when that set changes. */
  function follow() {
    if (!window.EventSource) return;
    var all = load();
    var ids = Object.keys(all).map(function (key) { return all[key].id; }).sort().slice(0, 100).join(',');
    if (source && source.ids === ids) return;
    if (source) source.close();
    source = undefined;
    if (!ids) return;
    source = new EventSource('/notices/stream?watches=' + encodeURIComponent(ids));
    source.ids = ids;
    source.addEventListener('notice', function (message) {
      try {
        mark(JSON.parse(message.data));
      } catch (e) {
        /* a message this page does not understand */
      }
    });
  }

  function start() {
    decorateAll();
    new MutationObserver(decorateAll).observe(document.body, { childList: true, subtree: true });
    var clocks = document.getElementById('clocks');
    if (clocks) clocks.addEventListener('submit', function () { setTimeout(decorateAll, 0); });
    catchUp();
    follow();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
