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

  // After a swap, move focus to what the fragment marks with data-focus (or its first heading),
  // so keyboard and screen-reader users land on the new content.
  document.addEventListener("htmx:afterSwap", function (event) {
    var root = event.detail.target;
    var target = root.querySelector("[data-focus]") || (root.hasAttribute("data-focus") ? root : null);
    if (target) {
      if (!target.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
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
