// Candidate persons shown under a person row (people/_candidates.html): "This is the person"
// fills the row's hidden person field; editing the name again, or "Not this person", clears it.
(function () {
  function field(form, name) { return form.querySelector('input[name="' + name + '"]'); }
  function show(form, name, label) {
    var note = form.querySelector('[data-chosen-for="' + name + '"]');
    if (!note) return;
    var input = field(form, name);
    note.hidden = !(input && input.value);
    var span = note.querySelector("[data-chosen-label]");
    if (span) span.textContent = label || "A person known to the service was chosen.";
  }
  function set(form, name, value, label) {
    var input = field(form, name);
    if (!input) return;
    input.value = value;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    show(form, name, label);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.encounter-form");
    if (!form) return;
    form.querySelectorAll("[data-chosen-for]").forEach(function (note) {
      show(form, note.dataset.chosenFor, "");
    });
    form.addEventListener("click", function (event) {
      var choose = event.target.closest("[data-choose-person]");
      if (choose) {
        set(form, choose.dataset.personField, choose.dataset.choosePerson,
          "Chosen: " + choose.dataset.personLabel);
        var list = choose.closest("[data-candidates]");
        if (list) list.hidden = true;
        return;
      }
      var unchoose = event.target.closest("[data-unchoose-person]");
      if (unchoose) set(form, unchoose.dataset.unchoosePerson, "", "");
    });
    form.addEventListener("input", function (event) {
      var m = /^person_(\d+)_name$/.exec(event.target.name || "");
      if (m) set(form, "person_" + m[1] + "_person", "", "");
    });
  });
})();
