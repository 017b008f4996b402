/*
 * Keyhouse portal enhancements. Vanilla JS, no dependencies, loaded on every page.
 * Every page works without it; each feature below does nothing when its elements are absent.
 * The CSP forbids inline scripts and style attributes, so data arrives via json_script blocks
 * and positioning uses the CSSOM (element.style), which the CSP allows.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var SVG_NS = "http://www.w3.org/2000/svg";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function svg(name, attrs, parent) {
    var el = document.createElementNS(SVG_NS, name);
    Object.keys(attrs || {}).forEach(function (key) { el.setAttribute(key, attrs[key]); });
    if (parent) parent.appendChild(el);
    return el;
  }

  function formatNumber(n) {
    try { return Number(n).toLocaleString("en-US"); } catch (e) { return String(n); }
  }

  /* ---- Sidebar drawer on narrow screens ------------------------------------------------ */
  function initNav() {
    var toggle = document.querySelector("[data-nav-toggle]");
    var sidebar = document.getElementById("sidebar");
    if (!toggle || !sidebar) return;
    var closers = all("[data-nav-close]");
    toggle.hidden = false;
    closers.forEach(function (el) { el.hidden = false; });

    function isOpen() { return document.body.classList.contains("nav-open"); }
    function open() {
      document.body.classList.add("nav-open");
      toggle.setAttribute("aria-expanded", "true");
      var first = sidebar.querySelector("a, button, summary");
      if (first) window.setTimeout(function () { first.focus(); }, 50);
    }
    function close(returnFocus) {
      if (!isOpen()) return;
      document.body.classList.remove("nav-open");
      toggle.setAttribute("aria-expanded", "false");
      if (returnFocus) toggle.focus();
    }

    toggle.addEventListener("click", function () { if (isOpen()) close(true); else open(); });
    closers.forEach(function (el) { el.addEventListener("click", function () { close(true); }); });
    document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") close(true); });
    if (window.matchMedia) {
      var wide = window.matchMedia("(min-width: 901px)");
      var onChange = function (ev) { if (ev.matches) close(false); };
      if (wide.addEventListener) wide.addEventListener("change", onChange);
      else if (wide.addListener) wide.addListener(onChange);
    }
  }

  /* ---- <details data-dropdown>: close on outside click or Escape ----------------------- */
  function initDropdowns() {
    var dropdowns = all("details[data-dropdown]");
    if (!dropdowns.length) return;
    document.addEventListener("click", function (ev) {
      dropdowns.forEach(function (d) { if (d.open && !d.contains(ev.target)) d.open = false; });
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key !== "Escape") return;
      dropdowns.forEach(function (d) {
        if (d.open) {
          d.open = false;
          var summary = d.querySelector("summary");
          if (summary) summary.focus();
        }
      });
    });
  }

  /* ---- Dismissable flash messages ------------------------------------------------------ */
  function initFlashes() {
    all("[data-dismiss]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var flash = button.closest(".flash");
        if (!flash) return;
        var container = flash.parentNode;
        flash.remove();
        if (container && container.classList.contains("flashes") && !container.children.length) container.remove();
      });
    });
  }

  /* ---- Copy to clipboard --------------------------------------------------------------- */
  function selectContents(el) {
    if (el.select) {
      el.focus();
      el.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function legacyCopy(el) {
    selectContents(el);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  function initCopy() {
    all("[data-copy]").forEach(function (button) {
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (!target) return;
      button.hidden = false;
      var label = button.querySelector("[data-copy-label]");
      var scope = button.closest(".field, .card-body, .stack") || document;
      var status = scope.querySelector("[data-copy-status]");
      var timer = null;

      function report(ok) {
        if (label) label.textContent = ok ? "Copied" : "Copy";
        if (status) {
          status.textContent = ok
            ? "Copied to clipboard."
            : "Couldn't copy automatically. The text is selected: press Ctrl+C (or \u2318C) to copy it.";
        }
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          if (label) label.textContent = "Copy";
          if (status) status.textContent = "";
        }, 4000);
      }

      button.addEventListener("click", function () {
        var text = "value" in target && target.tagName !== "PRE" ? target.value : target.textContent;
        text = (text || "").trim();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            function () { report(true); },
            function () { report(legacyCopy(target)); }
          );
        } else {
          report(legacyCopy(target));
        }
      });
    });

    all("[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
      input.addEventListener("click", function () { input.select(); });
    });
  }

  /* ---- Show a field only for one value of another (data-show-if="id_expiry:custom") ---- */
  function initShowIf() {
    all("[data-show-if]").forEach(function (el) {
      var spec = el.getAttribute("data-show-if").split(":");
      var control = document.getElementById(spec[0]);
      if (!control) return;
      var wanted = spec.slice(1).join(":");
      function update() { el.classList.toggle("is-hidden", control.value !== wanted); }
      control.addEventListener("change", update);
      update();
    });
  }

  /* ---- Details that are open without JS (fallback content) and closed with it ---------- */
  function initCloseWithJs() {
    all("details[data-close-with-js]").forEach(function (d) { d.open = false; });
  }

  /* ---- Confirm before destructive form submissions (form.js-confirm[data-confirm]) ----- */
  var dialog = null;

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-message");

    var form = document.createElement("form");
    form.method = "dialog";

    var body = document.createElement("div");
    body.className = "confirm-body";
    var icon = document.createElement("span");
    icon.className = "confirm-icon";
    icon.setAttribute("aria-hidden", "true");
    var iconSvg = svg("svg", { viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", "stroke-width": "1.8", "stroke-linecap": "round", "stroke-linejoin": "round" }, icon);
    svg("path", { d: "M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z" }, iconSvg);
    svg("path", { d: "M12 9v4" }, iconSvg);
    svg("path", { d: "M12 17h.01" }, iconSvg);
    var text = document.createElement("div");
    var title = document.createElement("h2");
    title.id = "confirm-dialog-title";
    title.textContent = "Are you sure?";
    var message = document.createElement("p");
    message.id = "confirm-dialog-message";
    text.appendChild(title);
    text.appendChild(message);
    body.appendChild(icon);
    body.appendChild(text);

    var actions = document.createElement("div");
    actions.className = "confirm-actions";
    var cancel = document.createElement("button");
    cancel.type = "submit";
    cancel.value = "cancel";
    cancel.className = "button button-secondary";
    cancel.textContent = "Cancel";
    var ok = document.createElement("button");
    ok.type = "submit";
    ok.value = "confirm";
    ok.setAttribute("data-confirm-ok", "");
    actions.appendChild(cancel);
    actions.appendChild(ok);

    form.appendChild(body);
    form.appendChild(actions);
    dialog.appendChild(form);
    document.body.appendChild(dialog);
  }

  function askConfirm(message, buttonLabel, danger) {
    if (typeof window.HTMLDialogElement !== "function") {
      return Promise.resolve(window.confirm(message));
    }
    if (!dialog) buildDialog();
    dialog.querySelector("#confirm-dialog-message").textContent = message;
    var ok = dialog.querySelector("[data-confirm-ok]");
    ok.textContent = buttonLabel;
    ok.className = "button " + (danger ? "button-danger" : "button-primary");
    dialog.classList.toggle("is-danger", !!danger);
    dialog.returnValue = "";
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        resolve(dialog.returnValue === "confirm");
      });
      dialog.showModal();
      dialog.querySelector(".button-secondary").focus();
    });
  }

  function initConfirm() {
    all("form.js-confirm").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (form.getAttribute("data-confirmed") === "1") return;
        ev.preventDefault();
        var message = form.getAttribute("data-confirm") || "Are you sure?";
        var label = form.getAttribute("data-confirm-button") || "Confirm";
        askConfirm(message, label, form.hasAttribute("data-confirm-danger")).then(function (confirmed) {
          if (!confirmed) return;
          form.setAttribute("data-confirmed", "1");
          // submit() skips the submit event (and this handler); validation already ran.
          form.submit();
        });
      });
    });
  }

  /* ---- Error summary: focus it on load; its links focus their field ------------------------- */
  function initErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.focus();
    all("[data-focus-field]", summary).forEach(function (link) {
      link.addEventListener("click", function (ev) {
        var field = document.getElementById(link.getAttribute("href").slice(1));
        if (!field) return;
        ev.preventDefault();
        field.focus();
        field.scrollIntoView({ block: "center" });
      });
    });
  }

  ready(function () {
    var features = [initNav, initDropdowns, initFlashes, initCopy, initShowIf, initCloseWithJs, initConfirm, initErrorSummary];
    features.forEach(function (feature) {
      try { feature(); } catch (e) { if (window.console) window.console.error(e); }
    });
  });
})();
