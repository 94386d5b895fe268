/* The approvals pages' expiry countdown (served from /console/assets/, like every console
   script): counts each expiry down every second, corrected for the difference between the
   server's clock (data-now) and the browser's. Without it the page reads the fixed time. */
'use strict';
(function () {
  var nodes = Array.prototype.slice.call(document.querySelectorAll('[data-expires]'));
  if (nodes.length === 0) return;
  var first = Number(nodes[0].getAttribute('data-now'));
  var skew = isFinite(first) && first > 0 ? first - Date.now() : 0;
  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }
  function text(ms) {
    if (ms <= 0) return 'expired: nothing will be done';
    var s = Math.floor(ms / 1000);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    return 'expires in ' + (h > 0 ? h + ' h ' + pad(m) : m) + ' min ' + pad(s % 60) + ' s';
  }
  var said = false;
  function tick() {
    var now = Date.now() + skew;
    var expired = 0;
    nodes.forEach(function (node) {
      var left = Date.parse(node.getAttribute('data-expires')) - now;
      node.textContent = text(left);
      node.classList.toggle('soon', left < 120000 && left > 0);
      node.classList.toggle('expired', left <= 0);
      if (left <= 0) expired++;
    });
    // Said once in the shell's status region: a decision on it now would be refused (the
    // server decides; the buttons stay, and answer with the reason).
    var status = document.getElementById('live-status');
    if (expired > 0 && !said && status) {
      said = true;
      status.textContent =
        nodes.length === 1
          ? 'This approval has expired: nothing will be done, and a decision on it is refused.'
          : expired + ' approval(s) on this page expired: nothing will be done for them.';
    }
  }
  tick();
  setInterval(tick, 1000);
})();
