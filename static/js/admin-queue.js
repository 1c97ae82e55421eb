// The moderation queue, enhanced: a row's buttons act without leaving the list
// (the same POSTs the buttons send without a script, asking for JSON), say what
// they did with an Undo button, a reply box opens under the row, and, when the
// moderator turned them on, WordPress's keyboard shortcuts.
(function () {
  "use strict";

  var queue = document.getElementById("queue");
  var form = document.getElementById("changelist-form");
  if (!queue || !form || !window.fetch) return;
  var live = document.getElementById("queue-live");
  var help = document.getElementById("queue-help");
  // The words, in the page's language, from the list's JSON block
  // (templates/comments/admin/change_list.html); English without it.
  var words = {
    undo: "Undo",
    forbidden: "You may not moderate comments (403): nothing changed.",
    failed: "The server answered %(status)s: nothing changed.",
    answered: "The server answered %(status)s.",
    unreachable: "The server could not be reached: nothing changed.",
    reply_label: "Reply as the site:",
    reply_label_pending: "Reply as the site (approves the comment first):",
    reply: "Reply",
    cancel: "Cancel",
  };
  var given = document.getElementById("queue-words");
  if (given) {
    try {
      var translated = JSON.parse(given.textContent);
      Object.keys(words).forEach(function (name) {
        if (typeof translated[name] === "string") words[name] = translated[name];
      });
    } catch (error) { /* the English words stay */ }
  }
  var lastUndo = null; // {url, row}: what z and the Undo button take back
  var current = null; // the row j/k moved to

  function token() {
    var field = form.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function here() {
    return window.location.pathname + window.location.search;
  }

  function post(url, fields) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", token());
    data.append("next", here());
    Object.keys(fields || {}).forEach(function (name) { data.append(name, fields[name]); });
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== 0) {
        throw new Error(response.status === 403
          ? words.forbidden
          : words.failed.replace("%(status)s", response.status));
      }
      return response.json().then(function (answer) {
        if (!response.ok && !answer.message) throw new Error(words.answered.replace("%(status)s", response.status));
        return answer;
      });
    }, function () {
      throw new Error(words.unreachable);
    });
  }

  function say(text, options) {
    options = options || {};
    live.textContent = "";
    live.classList.toggle("is-error", Boolean(options.error));
    live.appendChild(document.createTextNode(text));
    if (options.link) {
      live.appendChild(document.createTextNode(" "));
      var anchor = document.createElement("a");
      anchor.href = options.link.url;
      anchor.textContent = options.link.text;
      live.appendChild(anchor);
    }
    if (options.undo) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "queue-undo";
      button.textContent = words.undo;
      button.addEventListener("click", undo);
      live.appendChild(button);
    }
  }

  function fail(error) {
    say(error.message, { error: true });
  }

  function rowOf(element) {
    return element.closest("#result_list tbody tr");
  }

  function update(row, answer) {
    var comment = row.querySelector(".queue-comment");
    comment.dataset.status = answer.status;
    comment.querySelector(".queue-actions").innerHTML = answer.actions_html;
    var state = row.querySelector("td.field-state");
    if (state) state.innerHTML = answer.state_html;
    var count = document.querySelector(".queue-header-count");
    if (count && typeof answer.pending === "number") {
      // Worded by the server, with the language's plural.
      count.textContent = answer.pending_text;
      count.classList.toggle("has-pending", answer.pending > 0);
    }
  }

  function act(button) {
    var row = rowOf(button);
    post(button.formAction).then(function (answer) {
      update(row, answer);
      lastUndo = answer.undo_url ? { url: answer.undo_url, row: row } : null;
      say(answer.message, { undo: Boolean(answer.undo_url), error: !answer.ok });
    }, fail);
  }

  function undo() {
    if (!lastUndo) return;
    var step = lastUndo;
    lastUndo = null;
    post(step.url).then(function (answer) {
      update(step.row, answer);
      say(answer.message, { error: !answer.ok });
    }, fail);
  }

  // --- The reply box ---------------------------------------------------------

  function openReply(link) {
    var row = rowOf(link);
    var next = row.nextElementSibling;
    if (next && next.classList.contains("queue-reply-row")) {
      next.querySelector("textarea").focus();
      return;
    }
    var box = document.createElement("tr");
    box.className = "queue-reply-row";
    var cell = document.createElement("td");
    cell.colSpan = row.children.length;
    cell.innerHTML =
      '<div class="queue-reply-box"><p><label><span></span><br><textarea rows="4"></textarea></label></p>' +
      '<p class="queue-reply-error errornote" hidden></p>' +
      '<p><button type="button" class="button default" data-reply="send"></button> ' +
      '<button type="button" class="button" data-reply="cancel"></button></p></div>';
    // The words go in as text, never as HTML.
    cell.querySelector("label span").textContent =
      row.querySelector(".queue-comment").dataset.status === "pending" ? words.reply_label_pending : words.reply_label;
    cell.querySelector("[data-reply=send]").textContent = words.reply;
    cell.querySelector("[data-reply=cancel]").textContent = words.cancel;
    box.appendChild(cell);
    row.parentNode.insertBefore(box, row.nextSibling);
    var textarea = cell.querySelector("textarea");
    var error = cell.querySelector(".queue-reply-error");
    textarea.focus();
    cell.querySelector("[data-reply=cancel]").addEventListener("click", function () { box.remove(); });
    cell.querySelector("[data-reply=send]").addEventListener("click", function (event) {
      var send = event.currentTarget;
      send.disabled = true;
      // The typed text stays in the box until the reply is stored.
      post(link.href.split("?")[0], { body: textarea.value }).then(function (answer) {
        send.disabled = false;
        if (!answer.ok) {
          error.textContent = answer.message;
          error.hidden = false;
          return;
        }
        update(row, answer);
        box.remove();
        say(answer.message, { link: answer.link });
      }, function (problem) {
        send.disabled = false;
        error.textContent = problem.message;
        error.hidden = false;
      });
    });
  }

  form.addEventListener("click", function (event) {
    var target = event.target.closest(".queue-action");
    if (!target || !rowOf(target)) return;
    if (target.tagName === "BUTTON" && target.formAction) {
      event.preventDefault();
      act(target);
    } else if (target.dataset.step === "reply") {
      event.preventDefault();
      openReply(target);
    }
  });

  // --- Keyboard shortcuts (WordPress's), when turned on -----------------------

  if (queue.dataset.shortcuts !== "on") return;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#result_list tbody tr:not(.queue-reply-row)"));
  }

  function move(by) {
    var all = rows();
    if (!all.length) return;
    var index = current ? all.indexOf(current) : -1;
    index = Math.max(0, Math.min(all.length - 1, index + by));
    if (current) current.classList.remove("queue-current");
    current = all[index];
    current.classList.add("queue-current");
    current.scrollIntoView({ block: "nearest" });
  }

  function inRow(key) {
    return current && current.querySelector('.queue-action[data-key="' + key + '"]');
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) {
      // Keys typed into a field are the field's; Escape gives them back to the list.
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key;
    var target;
    if (key === "j") move(1);
    else if (key === "k") move(-1);
    else if (key === "?") { if (help) help.hidden = !help.hidden; }
    else if (key === "z") undo();
    else if (key === "x") { if (current) current.querySelector(".action-select").click(); }
    else if ((target = inRow(key))) {
      if (key === "r") openReply(target);
      else if (key === "e") window.location.href = target.href;
      else act(target);
    } else return;
    event.preventDefault();
  });
})();
