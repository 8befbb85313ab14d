// The workspace's small enhancements; every form works without them.
// - Pickers: typing a name asks /curate/pick for records of the allowed kinds and offers them as
//   suggestions (a <datalist>); the input still takes an id typed by hand.
// - The relation editor: the picker follows the chosen relation's allowed kinds, and only that
//   relation's details are shown.
(function () {
  "use strict";
  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }
  function lastWord(value) {
    var parts = value.split(/[\s,]+/);
    return parts[parts.length - 1];
  }
  function wirePicker(box) {
    var input = box.querySelector("input");
    var list = box.querySelector("datalist");
    var ask = debounce(function () {
      var q = lastWord(input.value);
      if (q.length < 2) { return; }
      var url = "/curate/pick?q=" + encodeURIComponent(q) + "&kinds=" + encodeURIComponent(box.dataset.kinds || "");
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) {
          list.textContent = "";
          var prefix = input.value.slice(0, input.value.length - q.length);
          found.forEach(function (n) {
            var option = document.createElement("option");
            option.value = prefix + n.id;
            option.label = n.name + " (" + n.kind + ")";
            option.textContent = n.name + " (" + n.kind + ")";
            list.appendChild(option);
          });
        })
        .catch(function () { /* suggestions are a convenience: typing an id still works */ });
    }, 200);
    input.addEventListener("input", ask);
  }
  function wireRelationEditor(form) {
    var select = form.querySelector("select[name=type]");
    var picker = form.querySelector(".picker input[name=other]");
    if (!select || !picker) { return; }
    function show() {
      var option = select.options[select.selectedIndex];
      picker.closest(".picker").dataset.kinds = option ? option.dataset.kinds : "";
      form.querySelectorAll(".rel-fields").forEach(function (fs) {
        var on = option && fs.dataset.for === option.value;
        fs.hidden = !on;
        fs.disabled = !on;
      });
    }
    select.addEventListener("change", show);
    show();
  }
  document.querySelectorAll(".picker").forEach(wirePicker);
  document.querySelectorAll("form.relation-editor").forEach(wireRelationEditor);
})();
