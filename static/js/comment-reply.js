// Enhancement only: "Reply" moves the form under the comment without a
// reload, and the comment box counts its characters. Without JavaScript
// the link's ?replytocom=<id> does the same on the server, and the server
// says when a comment is too long.
(function () {
  "use strict";
  var respond = document.getElementById("respond");
  var form = document.getElementById("commentform");
  if (!respond || !form) return;
  var parentInput = form.elements.namedItem("parent");
  var cancel = document.getElementById("cancel-comment-reply");
  var title = document.getElementById("reply-title");
  // The Reply link that moved the form: focus goes back there on "Cancel reply".
  var openedBy = null;
  // Where the form lives when it is not a reply.
  var home = document.createElement("div");
  home.id = "respond-home";
  respond.parentNode.insertBefore(home, respond);

  // The heading holds only its text (the cancel link is beside it), so
  // replacing its children leaves nothing to run together. Its wording, in
  // the page's language, comes from the server (the form's data-title and
  // data-reply-title: "Leave a Reply to %(name)s", the name wherever the
  // language puts it).
  function setTitle(label) {
    if (!label) {
      title.textContent = form.dataset.title;
      return;
    }
    var parts = form.dataset.replyTitle.split("%(name)s");
    title.textContent = parts[0];
    var span = document.createElement("span");
    span.className = "reply-to-name";
    span.textContent = label;
    title.appendChild(span);
    if (parts.length > 1) title.appendChild(document.createTextNode(parts.slice(1).join("")));
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".comment-reply-link");
    if (!link) return;
    var comment = document.getElementById("comment-" + link.dataset.commentId);
    if (!comment) return;
    event.preventDefault();
    link.closest(".comment-body").after(respond);
    parentInput.value = link.dataset.commentId;
    setTitle(link.dataset.replyTo);
    cancel.hidden = false;
    openedBy = link;
    form.elements.namedItem("body").focus();
  });

  cancel.addEventListener("click", function (event) {
    event.preventDefault();
    // A reply form the server rendered (?replytocom=) was opened by the
    // Reply link of the comment it answers.
    var back = openedBy || document.querySelector(
      '.comment-reply-link[data-comment-id="' + parentInput.value + '"]');
    home.after(respond);
    parentInput.value = "";
    setTitle("");
    cancel.hidden = true;
    if (back && document.contains(back)) back.focus();
    openedBy = null;
  });

  // "N of 10,000 characters", in the help text the textarea is described
  // by. Counted as the server counts: code points, without the spaces
  // around the text. A live region speaks only when the limit is crossed,
  // not at every key.
  var body = form.elements.namedItem("body");
  var help = document.getElementById(body.id + "_helptext");
  var limit = parseInt(body.dataset.limit || "0", 10);
  if (!help || !limit) return;
  var status = document.createElement("span");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  help.after(status);
  var wasOver = false;
  // Numbers as the page's language writes them; the sentences come from the
  // server in that language (the textarea's data-count-* attributes).
  var language = document.documentElement.lang || "en";
  function formatted(number) {
    return number.toLocaleString(language);
  }
  function fill(text, length) {
    return text.replace("%(count)s", formatted(length)).replace("%(limit)s", formatted(limit))
      .replace("%(excess)s", formatted(length - limit));
  }
  function count(announce) {
    var length = Array.from(body.value.trim()).length;
    var over = length > limit;
    help.textContent = fill(over ? body.dataset.countOver : body.dataset.count, length);
    help.classList.toggle("over-limit", over);
    if (announce && over !== wasOver) {
      status.textContent = fill(over ? body.dataset.tooLong : body.dataset.fits, length);
    }
    wasOver = over;
  }
  body.addEventListener("input", function () { count(true); });
  // An empty box keeps the server's "Up to 10,000 characters." until the
  // first key: nothing on the page changes as it loads.
  // A box the server gave back full (a refused comment) is counted at
  // once, silently: its error message has said it already.
  if (body.value) count(false);
})();
