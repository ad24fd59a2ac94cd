// Keyboard and safety helpers for the long forms (call intake, encounter).
//  - Y / N / U in a Yes-No-Unknown question answers it and moves to the next question.
//  - Enter on a radio button, checkbox or select saves, as it does in a text field;
//    Ctrl+Enter (or Cmd+Enter) saves from anywhere, the narrative included.
//  - A form is sent once: a second Enter while the first is on its way does nothing.
//  - After a refused save, the first field in error gets the focus.
//  - "Discard it" removes a restored draft (see app.js) and resets the form.
(function () {
  var ANSWER_KEYS = { y: "yes", n: "no", u: "unknown" };

  function submit(form) {
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function nextQuestion(fieldset) {
    var all = Array.prototype.slice.call(document.querySelectorAll(".yn-question"));
    var i = all.indexOf(fieldset);
    return i >= 0 && i + 1 < all.length ? all[i + 1] : null;
  }

  function focusQuestion(fieldset) {
    var target = fieldset.querySelector("input:checked") || fieldset.querySelector("input");
    if (target) target.focus();
  }

  function onKeydown(event) {
    var el = event.target;
    var form = el.form;
    if (!form) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit(form);
      return;
    }
    if (event.key === "Enter" && !event.altKey && !event.shiftKey &&
        (el.type === "radio" || el.type === "checkbox" || el.tagName === "SELECT")) {
      event.preventDefault();
      submit(form);
      return;
    }
    if (el.type === "radio" && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var value = ANSWER_KEYS[(event.key || "").toLowerCase()];
      var fieldset = el.closest(".yn-question");
      if (!value || !fieldset) return;
      var choice = fieldset.querySelector('input[value="' + value + '"]');
      if (!choice) return;
      event.preventDefault();
      choice.checked = true;
      choice.dispatchEvent(new Event("change", { bubbles: true }));
      var next = nextQuestion(fieldset);
      if (next) focusQuestion(next);
      else {
        var button = form.querySelector('button[type="submit"]');
        if (button) button.focus();
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-intake], form[data-draft]").forEach(function (form) {
      form.addEventListener("keydown", onKeydown);
      form.addEventListener("submit", function (event) {
        if (form.dataset.sending === "1") { event.preventDefault(); return; }
        form.dataset.sending = "1";
        form.querySelectorAll('button[type="submit"]').forEach(function (b) {
          b.setAttribute("aria-disabled", "true");
        });
        // If the network fails the page stays; let the user try again after a while.
        setTimeout(function () { form.dataset.sending = ""; }, 8000);
      });
      var invalid = form.querySelector('[aria-invalid="true"]');
      if (invalid) invalid.focus();
      var discard = form.querySelector("[data-discard-draft]");
      if (discard) {
        discard.addEventListener("click", function () {
          try {
            localStorage.removeItem("draft:" + location.pathname + ":" + (form.dataset.draft || form.id));
          } catch (e) {}
          form.reset();
          var note = form.querySelector(".draft-note");
          if (note) note.hidden = true;
          var first = form.querySelector("[autofocus]") || form.querySelector("input, select, textarea");
          if (first) first.focus();
        });
      }
    });
  });
})();
