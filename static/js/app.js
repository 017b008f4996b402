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

  /* ---- Usage chart --------------------------------------------------------------------- */
  var WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function parseDate(iso) {
    // Daily rows are bare dates; read them as UTC midnight.
    return new Date(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? iso + "T00:00:00Z" : iso);
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function dayLabel(d) { return MONTHS[d.getUTCMonth()] + " " + d.getUTCDate(); }
  function longDayLabel(d) { return WEEKDAYS[d.getUTCDay()] + ", " + dayLabel(d); }

  function niceStep(max, ticks) {
    var raw = Math.max(max / ticks, 1);
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      var step = steps[i] * power;
      if (step >= raw && Number.isInteger(step)) return step;
    }
    return 10 * power;
  }

  function shortNumber(n) {
    if (n >= 1e6) return (n / 1e6).toFixed(n % 1e6 === 0 ? 0 : 1) + "M";
    if (n >= 1e3) return (n / 1e3).toFixed(n % 1e3 === 0 ? 0 : 1) + "k";
    return String(n);
  }

  function drawChart(container, rows, range) {
    var summary = container.getAttribute("data-summary") || "";
    var width = Math.max(container.clientWidth, 280);
    var height = Math.max(container.clientHeight, 160);
    var margin = { top: 10, right: 8, bottom: 26, left: 44 };
    var plotW = width - margin.left - margin.right;
    var plotH = height - margin.top - margin.bottom;
    var n = rows.length;

    container.textContent = "";
    var root = svg("svg", {
      viewBox: "0 0 " + width + " " + height,
      width: String(width),
      height: String(height),
      role: "img",
      "aria-labelledby": container.id + "-title " + container.id + "-desc"
    }, container);
    var title = svg("title", { id: container.id + "-title" }, root);
    title.textContent = range === "daily" ? "Requests per day, last 30 days" : "Requests per hour, last 7 days";
    var desc = svg("desc", { id: container.id + "-desc" }, root);
    desc.textContent = summary;

    if (!n) return;

    var max = 0;
    rows.forEach(function (r) { max = Math.max(max, r[1] || 0, r[2] || 0); });
    var ticks = 4;
    var step = niceStep(max || 4, ticks);
    var top = step * ticks;
    function y(v) { return margin.top + plotH - (v / top) * plotH; }

    // Grid and y-axis labels.
    var grid = svg("g", { "class": "chart-grid" }, root);
    var axis = svg("g", { "class": "chart-axis", "aria-hidden": "true" }, root);
    for (var t = 0; t <= ticks; t++) {
      var value = step * t;
      var gy = Math.round(y(value)) + 0.5;
      svg("line", { x1: margin.left, x2: width - margin.right, y1: gy, y2: gy, "class": t === 0 ? "chart-baseline" : "" }, grid);
      var label = svg("text", { x: margin.left - 8, y: gy + 4, "text-anchor": "end" }, axis);
      label.textContent = shortNumber(value);
    }

    // Bars: one slot per row, a request bar with the failures drawn over its base.
    var slot = plotW / n;
    var barW = Math.max(1, Math.min(slot * (range === "daily" ? 0.66 : 0.78), 28));
    var bars = svg("g", { "aria-hidden": "true" }, root);
    var slots = [];
    rows.forEach(function (r, i) {
      var x = margin.left + i * slot;
      var g = svg("g", { "class": "chart-slot" }, bars);
      svg("rect", { "class": "chart-hit", x: x, y: margin.top, width: Math.max(slot, 1), height: plotH }, g);
      var req = r[1] || 0;
      var fail = r[2] || 0;
      var bx = x + (slot - barW) / 2;
      if (req > 0) {
        var h = Math.max(1, plotH - (y(req) - margin.top));
        svg("rect", { "class": "chart-bar", x: bx, y: margin.top + plotH - h, width: barW, height: h, rx: barW > 4 ? 2 : 0 }, g);
      }
      if (fail > 0) {
        var fh = Math.max(1, plotH - (y(fail) - margin.top));
        svg("rect", { "class": "chart-bar-fail", x: bx, y: margin.top + plotH - fh, width: barW, height: fh }, g);
      }
      slots.push(g);
    });

    // X-axis labels: midnights for hourly data, every few days for daily data.
    var lastLabelX = -Infinity;
    rows.forEach(function (r, i) {
      var d = parseDate(r[0]);
      if (isNaN(d.getTime())) return;
      var show = range === "daily" ? (n - 1 - i) % 7 === 0 : d.getUTCHours() === 0;
      if (!show) return;
      var cx = margin.left + i * slot + (range === "daily" ? slot / 2 : 0);
      if (cx - lastLabelX < 48 || cx < margin.left + 12 || cx > width - margin.right - 16) return;
      lastLabelX = cx;
      var text = svg("text", { x: cx, y: height - 8, "text-anchor": "middle" }, axis);
      text.textContent = range === "daily" ? dayLabel(d) : WEEKDAYS[d.getUTCDay()] + " " + d.getUTCDate();
    });

    if (!max) {
      var empty = svg("text", { x: margin.left + plotW / 2, y: margin.top + plotH / 2, "text-anchor": "middle", "class": "chart-empty" }, root);
      empty.textContent = range === "daily" ? "No requests in the last 30 days" : "No requests in the last 7 days";
      return;
    }

    // Tooltip following the pointer.
    var tooltip = document.createElement("div");
    tooltip.className = "chart-tooltip";
    tooltip.hidden = true;
    container.appendChild(tooltip);
    var active = null;

    function show(index) {
      var r = rows[index];
      if (!r) return;
      if (active !== null && slots[active]) slots[active].classList.remove("is-active");
      active = index;
      slots[index].classList.add("is-active");
      var d = parseDate(r[0]);
      var when = range === "daily"
        ? longDayLabel(d)
        : longDayLabel(d) + ", " + pad(d.getUTCHours()) + ":00\u2013" + pad((d.getUTCHours() + 1) % 24) + ":00 UTC";
      tooltip.textContent = "";
      var strong = document.createElement("strong");
      strong.textContent = when;
      var req = document.createElement("span");
      req.textContent = formatNumber(r[1] || 0) + " request" + ((r[1] || 0) === 1 ? "" : "s");
      var fail = document.createElement("span");
      fail.className = "tt-fail";
      fail.textContent = formatNumber(r[2] || 0) + " auth failure" + ((r[2] || 0) === 1 ? "" : "s");
      tooltip.appendChild(strong);
      tooltip.appendChild(req);
      tooltip.appendChild(document.createElement("br"));
      tooltip.appendChild(fail);
      tooltip.hidden = false;
      var cx = margin.left + index * slot + slot / 2;
      var half = tooltip.offsetWidth / 2;
      var left = Math.min(Math.max(cx, half), width - half);
      tooltip.style.left = left + "px";
      tooltip.style.top = Math.max(y(Math.max(r[1] || 0, r[2] || 0)), margin.top + 40) + "px";
    }

    function hide() {
      tooltip.hidden = true;
      if (active !== null && slots[active]) slots[active].classList.remove("is-active");
      active = null;
    }

    root.addEventListener("mousemove", function (ev) {
      var rect = root.getBoundingClientRect();
      var px = (ev.clientX - rect.left) * (width / rect.width);
      var index = Math.floor((px - margin.left) / slot);
      if (index < 0 || index >= n) { hide(); return; }
      if (index !== active) show(index);
    });
    root.addEventListener("mouseleave", hide);
  }

  function initCharts() {
    all("[data-usage-chart]").forEach(function (container) {
      var source = document.getElementById(container.getAttribute("data-usage-chart"));
      if (!source) return;
      var data;
      try { data = JSON.parse(source.textContent); } catch (e) { return; }
      if (!data || !Array.isArray(data.hourly) || !Array.isArray(data.daily)) return;
      if (!container.id) container.id = "usage-chart";

      var range = container.getAttribute("data-range") === "daily" ? "daily" : "hourly";
      function render() { drawChart(container, range === "daily" ? data.daily : data.hourly, range); }

      var toggle = document.querySelector('[data-chart-toggle="' + container.id + '"]');
      if (toggle) {
        toggle.hidden = false;
        var buttons = all("button[data-range]", toggle);
        buttons.forEach(function (button) {
          button.addEventListener("click", function () {
            range = button.getAttribute("data-range") === "daily" ? "daily" : "hourly";
            buttons.forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
            render();
          });
        });
      }

      render();
      var lastWidth = container.clientWidth;
      var pending = null;
      function onResize() {
        if (container.clientWidth === lastWidth) return;
        lastWidth = container.clientWidth;
        window.clearTimeout(pending);
        pending = window.setTimeout(render, 120);
      }
      if (typeof window.ResizeObserver === "function") new window.ResizeObserver(onResize).observe(container);
      else window.addEventListener("resize", onResize);
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
    var features = [initNav, initDropdowns, initFlashes, initCopy, initShowIf, initCloseWithJs, initConfirm, initCharts, initErrorSummary];
    features.forEach(function (feature) {
      try { feature(); } catch (e) { if (window.console) window.console.error(e); }
    });
  });
})();
