// Small helpers: keep drafts of long forms in this browser so a lost connection loses nothing.
(function () {
  function draftKey(form) { return "draft:" + location.pathname + ":" + (form.dataset.draft || form.id); }
  function save(form) {
    var data = {};
    new FormData(form).forEach(function (v, k) {
      if (k === "csrfmiddlewaretoken") return;
      if (data[k] === undefined) data[k] = v; else data[k] = [].concat(data[k], v);
    });
    try { localStorage.setItem(draftKey(form), JSON.stringify(data)); } catch (e) {}
  }
  function restore(form) {
    var raw = null;
    try { raw = localStorage.getItem(draftKey(form)); } catch (e) {}
    if (!raw || form.dataset.bound === "1") return;
    var data = JSON.parse(raw);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in data)) return;
      var v = data[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = [].concat(v).indexOf(el.value) !== -1;
      } else if (!el.value) { el.value = v; }
    });
    var note = form.querySelector(".draft-note");
    if (note) note.hidden = false;
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      restore(form);
      form.addEventListener("input", function () { save(form); });
      form.addEventListener("change", function () { save(form); });
    });
    document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
      try { localStorage.removeItem("draft:" + el.dataset.clearDraft); } catch (e) {}
    });
  });
})();
