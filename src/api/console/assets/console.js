// Interlock console: live updates and small helpers for every console page (docs/console.md).
// Plain browser JavaScript, no framework, no build step; the pages work without it (forms and
// links are real), this only adds what a page cannot do by itself. Text from the server is
// never parsed as HTML here except the queue region, which the server renders and escapes.
(function () {
  'use strict';

  var main = document.getElementById('main');
  var status = document.getElementById('live-status');
  if (!main || !status) return;

  /** Says something in the status region (read out by screen readers, polite). */
  function announce(text, link) {
    status.textContent = text + (link ? ' ' : '');
    if (link) {
      var a = document.createElement('a');
      a.href = link.href;
      a.textContent = link.text;
      status.appendChild(a);
    }
  }

  var live = main.getAttribute('data-live');
  var source = null;
  if (!live || typeof EventSource === 'undefined') return;

  var queue = document.getElementById('queue');
  var incidentId = main.getAttribute('data-incident');
  var refreshing = false;
  var again = false;

  function idsIn(element) {
    var ids = {};
    var rows = element.querySelectorAll('tr[data-incident]');
    for (var i = 0; i < rows.length; i++) ids[rows[i].getAttribute('data-incident')] = true;
    return ids;
  }

  /** Fetches the queue region for the current filters and swaps it in, marking new rows. */
  function refreshQueue(quiet) {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    var before = idsIn(queue);
    fetch(queue.getAttribute('data-src'), { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        if (response.status === 401 || response.redirected) throw new Error('signed-out');
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.text();
      })
      .then(function (html) {
        // Keep the keyboard where it was when the focused link is still there after the swap.
        var focused = document.activeElement && queue.contains(document.activeElement) ? document.activeElement : null;
        var focusHref = focused && focused.getAttribute('href');
        queue.innerHTML = html;
        var fresh = 0;
        var rows = queue.querySelectorAll('tr[data-incident]');
        for (var i = 0; i < rows.length; i++) {
          if (!before[rows[i].getAttribute('data-incident')]) {
            rows[i].classList.add('fresh');
            fresh++;
          }
        }
        if (focusHref) {
          var target = queue.querySelector('a[href="' + focusHref.replace(/"/g, '\\"') + '"]');
          if (target) target.focus();
        }
        if (fresh > 0) announce(fresh + ' new incident' + (fresh > 1 ? 's' : '') + ' in the queue.');
        else if (!quiet) announce('Queue updated.');
      })
      .catch(function (error) {
        if (error && error.message === 'signed-out') sessionEnded();
      })
      .then(function () {
        refreshing = false;
        if (again) {
          again = false;
          refreshQueue(quiet);
        }
      });
  }

  var ended = false;
  /**
   * The session was signed out (in another tab, say) or timed out: the page says so where it
   * is read, the shell shows "Signed out", and sign-in comes back to this page. Nothing
   * reloads by itself (a form may be half typed); its post would be refused anyway.
   */
  function sessionEnded() {
    if (ended) return;
    ended = true;
    if (source) source.close();
    document.documentElement.setAttribute('data-session', 'ended');
    if (document.title.indexOf('Signed out') !== 0) document.title = 'Signed out — ' + document.title;
    var who = document.querySelector('.top .who');
    if (who) {
      who.textContent = '';
      var label = document.createElement('span');
      label.className = 'operator';
      label.textContent = 'Signed out';
      who.appendChild(label);
    }
    status.classList.add('ended');
    announce('You are signed out: your console session has ended.', {
      href: '/console/sign-in?next=' + encodeURIComponent(location.pathname + location.search),
      text: 'Sign in again',
    });
  }

  var timer = null;
  source = new EventSource('/console/events');
  source.addEventListener('incidents', function (event) {
    var ids;
    try {
      ids = JSON.parse(event.data).incidentIds || [];
    } catch {
      return;
    }
    if (live === 'queue' && queue) {
      // Several changes in a burst make one fetch.
      clearTimeout(timer);
      timer = setTimeout(function () {
        refreshQueue(false);
      }, 250);
    } else if (live === 'incident' && incidentId && ids.indexOf(incidentId) >= 0) {
      announce('This incident has changed since the page was loaded.', {
        href: location.pathname + location.search,
        text: 'Reload',
      });
    }
  });
  source.addEventListener('session-ended', sessionEnded);
  source.addEventListener('error', function () {
    // The browser reconnects by itself; CLOSED means the server refused the stream: without a
    // session (401), or for another reason, which /console/me tells apart.
    if (source.readyState !== EventSource.CLOSED || ended) return;
    fetch('/console/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(
      function (response) {
        if (response.status === 401) sessionEnded();
        else announce('Live updates stopped.', { href: location.pathname + location.search, text: 'Reload' });
      },
      function () {
        announce('Live updates stopped: the console cannot be reached.');
      },
    );
  });
  source.addEventListener('open', function () {
    main.setAttribute('data-live-connected', 'true');
    // What changed between the page's rendering (or a lost connection) and now.
    if (live === 'queue' && queue) refreshQueue(true);
  });
})();
