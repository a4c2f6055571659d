// The CSV import's job page: follow the job's progress record, and show the outcome once it ends.
// The page (templates/admin/prisoners/person/import_job.html) names the record in data-status-url.
(function () {
  "use strict";
  const job = document.getElementById("import-job");
  const url = job && job.dataset.statusUrl;
  if (!url) return;
  const bar = document.getElementById("import-progress");
  const count = document.getElementById("import-count");
  async function poll() {
    try {
      const status = await (await fetch(url, {credentials: "same-origin"})).json();
      if (status.state === "done" || status.state === "failed") { window.location.reload(); return; }
      if (status.total && bar && count) {
        bar.max = status.total;
        bar.value = status.done || 0;
        count.textContent = (status.done || 0) + " / " + status.total;
      }
    } catch (error) { /* a missed poll is retried */ }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
