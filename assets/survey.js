// yorube: the public survey form. Shows a question only when its condition holds, and
// keeps a half-filled form in this browser (localStorage) until it is sent, so that a
// dropped network or a closed tab loses nothing. The same hidden submission key is kept
// with the draft: sending it again is still one answer. Nothing leaves the browser.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  var done = document.querySelector("[data-draft-done]");
  function store() { try { return window.localStorage; } catch (e) { return null; } }
  if (done) {
    var s0 = store();
    if (s0) { s0.removeItem("yorube-draft:" + done.getAttribute("data-draft-done")); }
    return;
  }
  if (!form) { return; }
  // The paper entry form keeps no draft (each sheet starts empty).
  var key = "yorube-draft:" + form.getAttribute("data-draft");
  var s = form.getAttribute("data-draft") ? store() : null;

  function values(name) {
    var out = [];
    var els = form.elements.namedItem(name);
    if (!els) { return out; }
    var list = els.length !== undefined && !els.tagName ? els : [els];
    for (var i = 0; i < list.length; i++) {
      var el = list[i];
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value !== "") { out.push(el.value); }
    }
    return out;
  }
  function conditions() {
    var qs = form.querySelectorAll("[data-when]");
    for (var i = 0; i < qs.length; i++) {
      var want = qs[i].getAttribute("data-is").split("|");
      var have = values(qs[i].getAttribute("data-when"));
      var show = have.some(function (v) { return want.indexOf(v) >= 0; });
      qs[i].hidden = !show;
    }
  }
  function save() {
    if (!s) { return; }
    var d = [];
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
      if (!el.name || el.name === "_csrf") { continue; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { continue; }
      d.push([el.name, el.value]);
    }
    try { s.setItem(key, JSON.stringify(d)); } catch (e) { /* full or disabled: the form still works */ }
  }
  function restore() {
    if (!s || document.getElementById("survey-errors")) { return; }
    var raw = s.getItem(key);
    if (!raw) { return; }
    var d;
    try { d = JSON.parse(raw); } catch (e) { return; }
    for (var i = 0; i < d.length; i++) {
      var name = d[i][0], value = d[i][1];
      var els = form.querySelectorAll("[name=\"" + name.replace(/"/g, "") + "\"]");
      for (var j = 0; j < els.length; j++) {
        var el = els[j];
        if (el.type === "radio" || el.type === "checkbox") { if (el.value === value) { el.checked = true; } }
        else { el.value = value; }
      }
    }
  }
  restore();
  conditions();
  form.addEventListener("change", function () { conditions(); save(); });
  form.addEventListener("input", save);
  var errs = document.getElementById("survey-errors");
  if (errs) { errs.focus(); }
})();
