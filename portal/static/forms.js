// Forms that come back with errors: each field with an error is marked invalid and described by
// its message (a screen reader reads it on the field), and the first one takes the focus.
(function () {
  var first = null;
  document.querySelectorAll(".invalid-feedback[id^='error-']").forEach(function (message) {
    var field = document.getElementById(message.id.replace(/^error-/, "").replace(/-\d+$/, ""));
    if (!field || !/^(INPUT|SELECT|TEXTAREA)$/.test(field.tagName)) {
      var item = message.closest("[id^='item-']");
      field = item ? item.querySelector("input:not([type=hidden]), select, textarea") : null;
    }
    if (!field) { return; }
    field.setAttribute("aria-invalid", "true");
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(message.id) < 0) { described.push(message.id); }
    field.setAttribute("aria-describedby", described.join(" "));
    first = first || field;
  });
  if (first) { first.focus(); }
})();
