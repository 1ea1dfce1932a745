// The evidence upload page: a progress bar, then what became of each file.
(function () {
const cfg = document.currentScript.dataset;  // words from the page (no inline script: CSP)
document.getElementById("upload-form").addEventListener("submit", function (ev) {
  ev.preventDefault();
  const form = ev.target, bar = document.getElementById("upload-progress"), status = document.getElementById("upload-status");
  const xhr = new XMLHttpRequest();
  xhr.open("POST", form.action || window.location.href);
  xhr.setRequestHeader("Accept", "application/json");
  bar.style.display = "block";
  xhr.upload.onprogress = e => { if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); status.textContent = bar.value + " %"; } };
  xhr.onload = () => {
    let body = {}; try { body = JSON.parse(xhr.responseText); } catch (e) {}
    if (xhr.status === 200) {
      // Say what became of each file (new, already held, hash mismatch, refused), with its link.
      const list = document.getElementById("upload-results");
      list.replaceChildren();
      (body.results || []).forEach(r => {
        const li = document.createElement("li");
        li.className = (r.outcome === "new" || r.outcome === "held") ? "success" : "error";
        li.dataset.outcome = r.outcome;
        li.append(r.name + ": ");
        if (r.url) { const a = document.createElement("a"); a.href = r.url; a.textContent = r.ref; li.append(a, " — "); }
        li.append(r.message || r.error || "");
        list.append(li);
      });
      status.textContent = cfg.done;
      form.reset();
    }
    else { status.textContent = (body.error && body.error.message) || ("HTTP " + xhr.status); }
  };
  xhr.send(new FormData(form));
});
})();
