// Encounter form: the second and third person rows stay folded until "Add another person".
// Without JavaScript every row is shown; a row counts when its box is ticked or anything is typed.
(function () {
  function used(row) {
    return Array.prototype.some.call(row.querySelectorAll("input"), function (el) {
      return el.type === "checkbox" ? el.checked : !!el.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.encounter-form");
    if (!form) return;
    var button = form.querySelector("[data-add-person]");
    var extra = Array.prototype.slice.call(form.querySelectorAll(".person-extra"));
    extra.forEach(function (row) { row.hidden = !used(row); });
    function refresh() {
      if (button) button.hidden = !extra.some(function (row) { return row.hidden; });
    }
    refresh();
    if (button) {
      button.addEventListener("click", function () {
        var row = extra.filter(function (r) { return r.hidden; })[0];
        if (!row) return;
        row.hidden = false;
        var box = row.querySelector('input[type="checkbox"]');
        if (box) { box.checked = true; box.dispatchEvent(new Event("change", { bubbles: true })); }
        var name = row.querySelector('input[type="text"]');
        if (name) name.focus();
        refresh();
      });
    }
  });
})();
