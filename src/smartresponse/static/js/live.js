// Live pages (board, my unit, call page): ages tick every second from the timestamps the server
// wrote (data-since, seconds since the epoch), corrected for the difference between this
// computer's clock and the server's (data-server-now). When polling stops succeeding the page
// says so in red, so a board that cannot update never looks current.
(function () {
  var skew = 0; // server clock minus this clock, in seconds
  var lastOk = Date.now();

  function readSkew() {
    var marks = document.querySelectorAll("[data-server-now]");
    if (!marks.length) return;
    var server = parseFloat(marks[marks.length - 1].dataset.serverNow);
    if (!isNaN(server)) skew = server - Date.now() / 1000;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function elapsed(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 3600) return Math.floor(seconds / 60) + ":" + pad(seconds % 60);
    if (seconds < 86400) return Math.floor(seconds / 3600) + "h " + pad(Math.floor(seconds % 3600 / 60)) + "m";
    return Math.floor(seconds / 86400) + "d " + Math.floor(seconds % 86400 / 3600) + "h";
  }

  function tick() {
    var now = Date.now() / 1000 + skew;
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = parseFloat(el.dataset.since);
      if (!isNaN(since)) el.textContent = elapsed(now - since);
    });
    var region = document.querySelector("[hx-trigger^='every']");
    var banner = document.querySelector("[data-stale-banner]");
    if (region && banner) {
      // Stale after three missed polls and five seconds of grace (polls are written in ms).
      var poll = parseInt((region.getAttribute("hx-trigger").match(/\d+/) || ["1000"])[0], 10) || 1000;
      var limit = 5000 + 3 * poll;
      var stale = Date.now() - lastOk > limit;
      banner.hidden = !stale;
      region.classList.toggle("stale", stale);
    }
  }

  function announce() {
    var summary = document.querySelector("[data-board-summary]");
    var target = document.querySelector("[data-board-announce]");
    if (summary && target && target.textContent !== summary.textContent) {
      target.textContent = summary.textContent;
    }
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) {
      lastOk = Date.now();
      var time = document.querySelector("[data-live-time]");
      if (time) time.textContent = new Date().toLocaleTimeString();
    }
  });
  document.addEventListener("htmx:afterSettle", function () { readSkew(); announce(); tick(); });
  document.addEventListener("DOMContentLoaded", function () {
    readSkew();
    tick();
    setInterval(tick, 1000);
  });
})();
