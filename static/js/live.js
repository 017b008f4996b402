/*
 * Live regions: a page that shows work still in progress (a webhook delivery on its way) marks it with
 * [data-live]; this polls the page itself every few seconds and swaps each [data-live-region][id] for its
 * fresh copy, until the fresh page has no [data-live] left. A static file, so the strict CSP allows it.
 */
(function () {
  "use strict";

  var INTERVAL_MS = 2000;
  var MAX_POLLS = 150; // five minutes; a reload picks up anything slower

  function poll(count) {
    if (count >= MAX_POLLS || !document.querySelector("[data-live]")) return;
    window.setTimeout(function () {
      window.fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live-Refresh": "1" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var fresh = new window.DOMParser().parseFromString(html, "text/html");
          Array.prototype.forEach.call(document.querySelectorAll("[data-live-region][id]"), function (region) {
            var next = fresh.getElementById(region.id);
            if (next) region.replaceWith(document.importNode(next, true));
          });
          poll(count + 1);
        })
        .catch(function () { poll(count + 5); }); // back off on errors, and give up sooner
    }, INTERVAL_MS);
  }

  if (document.readyState !== "loading") poll(0);
  else document.addEventListener("DOMContentLoaded", function () { poll(0); });
})();
