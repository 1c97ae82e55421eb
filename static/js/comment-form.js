// Enhancement only. A cached page is the same bytes for every reader, so
// its form carries the signed time and one-off key of the page's render.
// When a reader starts writing, this asks the server for their own
// (/comments/form-values/), saying how long the page has been open: "sent
// too fast" then counts from when they got the page, and a resent form is
// recognised as theirs. Without JavaScript the
// render's values are used, and the reply is taken all the same.
(function () {
  "use strict";
  var form = document.getElementById("commentform");
  if (!form || !window.fetch) return;
  var asked = false;
  function ask() {
    if (asked) return;
    asked = true;
    var openSeconds = Math.max(0, Math.floor((window.performance ? performance.now() : 0) / 1000));
    var url = form.getAttribute("data-form-values") + "?open=" + openSeconds;
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (values) {
        if (!values) return;
        form.elements.namedItem("ts").value = values.ts;
        form.elements.namedItem("key").value = values.key;
      })
      .catch(function () { /* the render's values stay: nothing is lost */ });
  }
  form.addEventListener("focusin", ask);
  form.addEventListener("input", ask);
})();
