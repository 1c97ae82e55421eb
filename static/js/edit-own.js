// Enhancement only: a live countdown on the reader's own comments.
// The server prints the time left (in whole seconds, data-seconds-left) on
// each "Edit" link in the thread and on the edit page; without JavaScript
// those show the minutes as they were when the page was made, and the
// server refuses a change once the time is over (keeping the text).
// Here the minutes count down, an "Edit" link goes away when its time is
// up, and the edit page says that the time is over.
(function () {
  "use strict";
  // The words, in the page's language, ride on this script's own element
  // (templates/comments/_edit_own_script.html); English without them.
  var script = document.currentScript;
  var leftLabel = (script && script.getAttribute("data-left-label")) || "%(minutes)s min left";
  var overLabel = (script && script.getAttribute("data-over-label")) ||
    "The time to change or delete this comment is over.";
  var started = Date.now();
  var timers = document.querySelectorAll("[data-seconds-left]");
  if (!timers.length) return;

  function label(seconds) {
    return leftLabel.replace("%(minutes)s", Math.max(1, Math.ceil(seconds / 60)));
  }

  function tick() {
    var elapsed = (Date.now() - started) / 1000;
    var running = 0;
    Array.prototype.forEach.call(timers, function (timer) {
      if (!timer.isConnected) return;
      var left = Number(timer.getAttribute("data-seconds-left")) - elapsed;
      var shown = timer.querySelector(".edit-time-left");
      if (left > 0) {
        running += 1;
        if (shown) shown.textContent = timer.tagName === "A" ? "(" + label(left) + ")" : label(left);
      } else if (timer.tagName === "A") {
        timer.remove(); // the thread's "Edit" link
      } else {
        timer.textContent = overLabel;
        timer.removeAttribute("data-seconds-left");
      }
    });
    if (running) window.setTimeout(tick, 1000);
  }

  tick();
})();
