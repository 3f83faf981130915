// IMI access management: the little JavaScript the pages need (no inline script: CSP).
(function () {
  "use strict";

  // CSRF for every htmx request, set once (STYLE.md §8).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.content;
    }
  });

  // After a swap, move focus to the new content's [data-focus] element (a heading, a panel,
  // a row), so keyboard and screen-reader users land on what changed. Elements present when
  // the page loaded are marked first, so only swapped-in content takes focus.
  function markSeen(root) {
    root.querySelectorAll("[data-focus]").forEach(function (el) {
      el.setAttribute("data-focus-seen", "");
    });
  }
  // A form refused on a full page: its error summary takes focus (GOV.UK), so that the
  // problems are read out first and each links to its field.
  document.addEventListener("DOMContentLoaded", function () {
    markSeen(document);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.setAttribute("data-focus-seen", "");
      summary.focus();
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    var target = document.querySelector("[data-error-summary]:not([data-focus-seen])") ||
      document.querySelector("[data-focus]:not([data-focus-seen])");
    markSeen(document);
    document.querySelectorAll("[data-error-summary]").forEach(function (el) {
      el.setAttribute("data-focus-seen", "");
    });
    if (target) {
      if (!target.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  });

  // A swap that removes the focused element — a pager, sort or "Count them all" link replaces
  // the results it sits in — would leave focus on the page's body: move it to the heading of
  // what replaced it, so keyboard users go on from there.
  var focusedBeforeSwap = null;
  document.addEventListener("htmx:beforeSwap", function () {
    focusedBeforeSwap = document.activeElement;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var lost = focusedBeforeSwap && focusedBeforeSwap !== document.body && !focusedBeforeSwap.isConnected;
    focusedBeforeSwap = null;
    if (!lost || (document.activeElement && document.activeElement !== document.body)) {
      return;
    }
    var target = event.detail.target;
    var region = target && (target.isConnected ? target : (target.id && document.getElementById(target.id)));
    var heading = region && region.querySelector("h1, h2, h3");
    if (heading) {
      if (!heading.hasAttribute("tabindex")) {
        heading.setAttribute("tabindex", "-1");
      }
      heading.focus();
    }
  });

  // Tabs (WAI-ARIA tabs pattern): arrow keys, Home and End move between the tabs of a tablist.
  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest ? event.target.closest('[role="tab"]') : null;
    if (!tab) {
      return;
    }
    var tabs = Array.prototype.slice.call(tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]'));
    var index = tabs.indexOf(tab);
    var next = null;
    if (event.key === "ArrowRight") { next = tabs[(index + 1) % tabs.length]; }
    else if (event.key === "ArrowLeft") { next = tabs[(index - 1 + tabs.length) % tabs.length]; }
    else if (event.key === "Home") { next = tabs[0]; }
    else if (event.key === "End") { next = tabs[tabs.length - 1]; }
    else if (event.key === " " || event.key === "Spacebar") {
      // Space activates the focused tab, as Enter does for a link.
      event.preventDefault();
      tab.click();
      return;
    }
    if (next) {
      event.preventDefault();
      tabs.forEach(function (t) { t.setAttribute("tabindex", t === next ? "0" : "-1"); });
      next.focus();
    }
  });

  // One status region stays in the page (base.html) and holds only the short message of the
  // last swap — a search's count, "Saved" — so that screen readers announce it: a live region
  // that is itself replaced is not announced reliably. Swapped content marks its message with
  // [data-status]; an empty region first, then the text, makes a repeated message heard again.
  document.addEventListener("htmx:afterSettle", function (event) {
    var region = document.getElementById("live-status");
    var root = event.detail.target && event.detail.target.isConnected ? event.detail.target : document;
    var message = root.querySelector("[data-status]") || document.querySelector("[data-status]:not([data-status-seen])");
    document.querySelectorAll("[data-status]").forEach(function (el) { el.setAttribute("data-status-seen", ""); });
    if (region && message) {
      region.textContent = "";
      window.setTimeout(function () { region.textContent = message.textContent.replace(/\s+/g, " ").trim(); }, 50);
    }
  });

  // Errors that are not swapped (403, 5xx, network) are announced in the page's alert region.
  function announce(text) {
    var box = document.getElementById("htmx-error");
    if (box) {
      box.textContent = text;
      box.hidden = false;
    }
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var heading = doc.querySelector("h1");
    announce(heading ? heading.textContent.trim() : String(xhr.status));
  });
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("htmx-error");
    announce(box ? box.getAttribute("data-offline") || "Network error" : "Network error");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("htmx-error");
    if (box) {
      box.hidden = true;
    }
  });
})();
