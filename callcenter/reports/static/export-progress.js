// The export page: polls the export's JSON status until the file is ready, then shows the download.
(function () {
  var box = document.getElementById("export-status");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  var meter = box.querySelector(".progress");

  function show(status) {
    bar.style.width = status.percent + "%";
    bar.textContent = status.percent + "%";
    meter.setAttribute("aria-valuenow", status.percent);
    box.querySelector('[data-field="rows_done"]').textContent = status.rows_done;
    box.querySelector('[data-field="rows_total"]').textContent = status.rows_total === null ? "…" : status.rows_total;
    box.querySelectorAll("[data-when]").forEach(function (element) {
      element.hidden = element.getAttribute("data-when").split(" ").indexOf(status.state) < 0;
    });
    if (status.state === "done" || status.state === "failed") {
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      if (status.state === "failed") { bar.classList.add("bg-danger"); }
      if (status.download) { document.getElementById("export-download").href = status.download; }
    }
    box.setAttribute("data-state", status.state);
  }

  function poll() {
    var state = box.getAttribute("data-state");
    if (state === "done" || state === "failed") { return; }
    fetch(box.getAttribute("data-status-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) { if (status) { show(status); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 1500); });
  }
  window.setTimeout(poll, 1000);
})();
