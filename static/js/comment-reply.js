// Enhancement only: "Reply" moves the form under the comment without a
// reload. Without JavaScript the link's ?replytocom=<id> does the same
// on the server.
(function () {
  "use strict";
  var respond = document.getElementById("respond");
  var form = document.getElementById("commentform");
  if (!respond || !form) return;
  var parentInput = form.elements.namedItem("parent");
  var cancel = document.getElementById("cancel-comment-reply");
  var title = document.getElementById("reply-title");
  var titleText = title.firstChild;
  // Where the form lives when it is not a reply.
  var home = document.createElement("div");
  home.id = "respond-home";
  respond.parentNode.insertBefore(home, respond);

  function setTitle(name) {
    var nameSpan = title.querySelector(".reply-to-name");
    if (nameSpan) nameSpan.remove();
    if (name) {
      titleText.textContent = "Leave a Reply to ";
      var span = document.createElement("span");
      span.className = "reply-to-name";
      span.textContent = name;
      title.insertBefore(span, titleText.nextSibling);
    } else {
      titleText.textContent = "Leave a Reply";
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".comment-reply-link");
    if (!link) return;
    var comment = document.getElementById("comment-" + link.dataset.commentId);
    if (!comment) return;
    event.preventDefault();
    link.closest(".comment-body").after(respond);
    parentInput.value = link.dataset.commentId;
    setTitle(link.dataset.author);
    cancel.hidden = false;
    form.elements.namedItem("body").focus();
  });

  cancel.addEventListener("click", function (event) {
    event.preventDefault();
    home.after(respond);
    parentInput.value = "";
    setTitle("");
    cancel.hidden = true;
  });
})();
