// Madang: small enhancements over pages that work without it. Votes without a
// reload, a comment posted in place, a notice when others comment, and a
// confirmation before deleting.
(() => {
  "use strict";
  const json = { Accept: "application/json" };

  for (const form of document.querySelectorAll("form[data-vote]")) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const button = form.querySelector("button");
      const on = form.elements.on;
      button.disabled = true;
      try {
        const res = await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), headers: json, credentials: "same-origin" });
        if (!res.ok) { form.submit(); return; }
        const state = await res.json();
        button.querySelector(".n").textContent = state.vote_count;
        button.setAttribute("aria-pressed", state.voted ? "true" : "false");
        on.value = state.voted ? "0" : "1";
      } catch (_) {
        form.submit();
      } finally {
        button.disabled = false;
      }
    });
  }

  const post = document.querySelector("article[data-post]");
  let shown = post ? Number(post.dataset.comments) : 0;
  const countLabel = document.querySelector("#comments-h .n");

  for (const form of document.querySelectorAll("form[data-comment]")) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const button = form.querySelector("button[type=submit]");
      const error = form.querySelector("[data-error]");
      button.disabled = true;
      try {
        const res = await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), headers: { "X-Madang-Fragment": "1" }, credentials: "same-origin" });
        if (res.status !== 201) {
          // Let the server render the form with its message and the text kept.
          form.submit();
          return;
        }
        const list = document.querySelector(".comment-list");
        list.insertAdjacentHTML("beforeend", await res.text());
        const empty = document.querySelector("[data-empty]");
        if (empty) empty.remove();
        form.elements.content.value = "";
        error.hidden = true;
        shown += 1;
        if (countLabel) countLabel.textContent = shown;
        list.lastElementChild.scrollIntoView({ block: "nearest" });
      } catch (_) {
        // The comment may have been stored before the connection broke: say so
        // rather than send it twice.
        error.textContent = form.dataset.offline;
        error.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
  }

  // Others' comments: the post's count is read from the API every 30 s while the
  // page is visible.
  if (post) {
    const notice = document.querySelector(".new-comments");
    const poll = async () => {
      if (document.hidden) return;
      try {
        const res = await fetch(`/api/v1/posts/${post.dataset.post}`, { headers: json });
        if (!res.ok) return;
        const p = await res.json();
        if (p.comment_count > shown && notice) notice.hidden = false;
      } catch (_) { /* offline for a moment: try again later */ }
    };
    setInterval(poll, 30000);
  }

  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (ev) => {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  }
})();
