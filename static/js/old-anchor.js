// Enhancement only: an old link to an imported comment
// (#comment-<its id on the old blog>) reaches page 1 of a thread; when that
// comment shows on another page, no element has the id, so ask the server
// where the comment is (by its old id) and go there. Without JavaScript,
// or when the server knows no such comment, the reader stays where they are.
(function () {
  "use strict";
  var comments = document.getElementById("comments");
  var lookup = comments && comments.getAttribute("data-old-comment-url");
  if (!lookup || !window.fetch) return;

  function follow() {
    var match = /^#comment-([A-Za-z0-9_.-]{1,64})$/.exec(window.location.hash);
    if (!match || document.getElementById("comment-" + match[1])) return;
    window
      .fetch(lookup.replace("OLD-ID", encodeURIComponent(match[1])), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
      .then(function (response) {
        return response.ok ? response.json() : null; // {"url": null}: no such comment
      })
      .then(function (found) {
        // Same-origin paths only: never follow the answer anywhere else.
        if (found && typeof found.url === "string" && found.url.charAt(0) === "/" && found.url.charAt(1) !== "/") {
          window.location.replace(found.url);
        }
      })
      .catch(function () {});
  }

  follow();
  window.addEventListener("hashchange", follow);
})();
