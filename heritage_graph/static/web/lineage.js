/* Heritage Graph: the lineage picture, enhanced (loaded with `defer` by lineage.html only).
 *
 * The server draws the picture (heritage_graph/web/pictures.py) and the page works without this file:
 * every link between two records has a title and can be focused, and the list under the picture is its
 * text equivalent. With it:
 *   - a link chosen by click, focus or Enter shows its relation, confidence and sources in the panel
 *     #link-details (an aria-live region outside the SVG), each source a link to its record; the link
 *     and its two records are highlighted; Enter or Space moves focus into the panel; Escape closes it;
 *   - the picture pans and zooms through its viewBox: the zoom buttons, the mouse wheel, dragging, the
 *     arrow keys (and + and -) while focus is in the picture; a focused record or link is brought into view.
 * Every word shown comes from the page (data- attributes written through the gettext catalogs).
 */
(function () {
  "use strict";

  var STEP = 1.25; // one zoom step
  var MAX_SCALE = 4;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function enhance(root) {
    var wrap = root.querySelector(".picture-wrap");
    var svg = wrap && wrap.querySelector("svg");
    var panel = root.querySelector(".link-details");
    var tools = root.querySelector(".picture-tools");
    if (!svg || !panel || !tools) return;
    var words = panel.dataset;
    var full = svg.viewBox.baseVal;
    var W = full.width, H = full.height;
    var view = { x: 0, y: 0, w: W, h: H };
    var frame = { w: W, h: H };
    var scale = 1;
    var active = null;
    var refocusing = false; // focus going back to a link as its panel closes does not open it again

    // -- pan and zoom -------------------------------------------------------------------------------
    function fit() {
      frame.w = wrap.clientWidth || W;
      frame.h = Math.max(120, Math.min(H, Math.round(window.innerHeight * 0.7)));
      wrap.style.height = frame.h + "px";
    }
    function minScale() { return Math.min(1, frame.w / W, frame.h / H) * 0.9; }
    function clampAxis(start, size, whole) { // the picture stays in view; smaller than the frame, centred
      return size >= whole ? (whole - size) / 2 : Math.max(0, Math.min(whole - size, start));
    }
    function draw() {
      view.w = frame.w / scale;
      view.h = frame.h / scale;
      view.x = clampAxis(view.x, view.w, W);
      view.y = clampAxis(view.y, view.h, H);
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (n) {
        return Math.round(n * 100) / 100;
      }).join(" "));
    }
    function zoom(factor, cx, cy) {
      var next = Math.max(minScale(), Math.min(MAX_SCALE, scale * factor));
      if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
      var ratio = scale / next;
      view.x = cx - (cx - view.x) * ratio;
      view.y = cy - (cy - view.y) * ratio;
      scale = next;
      draw();
    }
    function reset() { scale = 1; view.x = 0; view.y = 0; draw(); }
    function pan(dx, dy) { view.x += dx; view.y += dy; draw(); }
    function toPicture(clientX, clientY) {
      var box = svg.getBoundingClientRect();
      return { x: view.x + (clientX - box.left) / box.width * view.w,
               y: view.y + (clientY - box.top) / box.height * view.h };
    }
    function inView(b) {
      return b.x >= view.x && b.y >= view.y && b.x + b.width <= view.x + view.w && b.y + b.height <= view.y + view.h;
    }
    function show(target) { // bring a focused record or link into view
      var b = target.getBBox();
      if (inView(b)) return;
      if (target.classList.contains("edge") && (b.width > view.w || b.height > view.h)) {
        // A link longer than the view: its far end (the right one, a step deeper) and the link coming to it.
        var ends = [node(target.dataset.from), node(target.dataset.to)].filter(Boolean).map(function (a) {
          return a.getBBox();
        });
        var far = ends.reduce(function (a, c) { return c.x > a.x ? c : a; }, ends[0] || b);
        view.x = far.x + far.width + 16 - view.w;
        view.y = far.y + far.height / 2 - view.h / 2;
      } else {
        view.x = b.x + b.width / 2 - view.w / 2;
        view.y = b.y + b.height / 2 - view.h / 2;
      }
      draw();
    }

    svg.querySelectorAll(".edge").forEach(function (edge) {
      edge.setAttribute("role", "button");
      edge.setAttribute("aria-controls", panel.id);
    });
    tools.hidden = false;
    wrap.classList.add("is-enhanced");
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", "100%");
    fit();
    reset();
    window.addEventListener("resize", function () { fit(); draw(); });

    tools.addEventListener("click", function (e) {
      var button = e.target.closest("button[data-zoom]");
      if (!button) return;
      var how = button.dataset.zoom;
      if (how === "in") zoom(STEP);
      else if (how === "out") zoom(1 / STEP);
      else reset();
    });
    svg.addEventListener("wheel", function (e) {
      if (!e.deltaY) return; // a sideways wheel scrolls as usual
      e.preventDefault();
      var at = toPicture(e.clientX, e.clientY);
      zoom(e.deltaY < 0 ? STEP : 1 / STEP, at.x, at.y);
    }, { passive: false });

    var drag = null, dragged = false;
    var pointing = false; // focus that follows a click does not move the view (only the keyboard's does)
    document.addEventListener("keydown", function () { pointing = false; }, true);
    svg.addEventListener("pointerdown", function (e) {
      pointing = true;
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, id: e.pointerId };
      dragged = false;
    });
    svg.addEventListener("pointermove", function (e) {
      if (!drag || e.pointerId !== drag.id) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!dragged) { dragged = true; svg.setPointerCapture(e.pointerId); wrap.classList.add("is-dragging"); }
      var box = svg.getBoundingClientRect();
      view.x = drag.vx - dx * view.w / box.width;
      view.y = drag.vy - dy * view.h / box.height;
      draw();
    });
    function endDrag() { drag = null; wrap.classList.remove("is-dragging"); }
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);
    // A drag that ends on a record is not a click on it.
    svg.addEventListener("click", function (e) {
      if (dragged) { e.preventDefault(); e.stopPropagation(); dragged = false; }
    }, true);

    var KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    svg.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      var edge = e.target.closest(".edge");
      if (KEYS[e.key]) {
        pan(KEYS[e.key][0] * view.w / 5, KEYS[e.key][1] * view.h / 5);
      } else if (e.key === "+" || e.key === "=") {
        zoom(STEP);
      } else if (e.key === "-") {
        zoom(1 / STEP);
      } else if (edge && (e.key === "Enter" || e.key === " ")) {
        select(edge);
        (panel.querySelector("a") || panel.querySelector("h2")).focus();
      } else {
        return;
      }
      e.preventDefault();
    });
    svg.addEventListener("focusin", function (e) {
      var target = e.target.closest(".edge, a");
      if (!target) return;
      if (!pointing) show(target);
      if (target.classList.contains("edge") && !refocusing) select(target);
    });
    svg.addEventListener("click", function (e) {
      var edge = e.target.closest(".edge");
      if (edge) select(edge);
    });

    // -- the panel ----------------------------------------------------------------------------------
    function node(id) { return svg.querySelector('a[data-id="' + CSS.escape(id) + '"]'); }
    function nameOf(a, id) {
      var title = a && a.querySelector("title");
      return title ? title.textContent : id;
    }
    function highlight(on) {
      if (!active) return;
      active.classList.toggle("is-active", on);
      svg.classList.toggle("has-active", on);
      [active.dataset.from, active.dataset.to].forEach(function (id) {
        var a = node(id);
        if (a) a.classList.toggle("is-end", on);
      });
    }
    function select(edge) {
      if (edge === active) return;
      highlight(false);
      active = edge;
      highlight(true);
      var d = edge.dataset;
      var sources = [];
      try { sources = JSON.parse(d.sources || "[]"); } catch (err) { sources = []; }
      panel.textContent = "";
      panel.appendChild(el("h2", { tabindex: "-1" },
        nameOf(node(d.from), d.from) + " → " + nameOf(node(d.to), d.to)));
      var dl = el("dl", { "class": "props" });
      dl.appendChild(el("dt", {}, words.relation));
      dl.appendChild(el("dd", {}, d.relationLabel || d.relation));
      if (d.confidence) {
        dl.appendChild(el("dt", {}, words.confidence));
        dl.appendChild(el("dd", {}, d.confidenceLabel || d.confidence));
      }
      dl.appendChild(el("dt", {}, words.sources));
      var dd = el("dd");
      if (sources.length) {
        var ul = el("ul");
        sources.forEach(function (s) {
          var li = el("li");
          li.appendChild(el("a", { href: "/records/" + encodeURIComponent(s.id) }, s.name));
          ul.appendChild(li);
        });
        dd.appendChild(ul);
      } else {
        dd.textContent = words.noSources;
      }
      dl.appendChild(dd);
      panel.appendChild(dl);
      var close = el("button", { type: "button", "class": "close" }, words.close);
      close.addEventListener("click", function () { closePanel(true); });
      panel.appendChild(close);
    }
    function closePanel(refocus) {
      if (!active) return;
      var edge = active;
      highlight(false);
      active = null;
      panel.textContent = "";
      if (refocus) {
        refocusing = true;
        edge.focus();
        refocusing = false;
      }
    }
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape" || !active) return;
      var inPanel = panel.contains(document.activeElement);
      if (inPanel || svg.contains(document.activeElement) || document.activeElement === document.body) {
        e.preventDefault();
        closePanel(inPanel); // from the panel, focus goes back to the link it describes
      }
    });
  }

  document.querySelectorAll("[data-lineage]").forEach(enhance);
})();
