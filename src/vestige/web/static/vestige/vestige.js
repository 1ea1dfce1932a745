// Every page's small behaviours, as listeners (no inline scripts or handlers: the
// Content-Security-Policy allows only scripts from this site).
(function () {
  // A table that scrolls sideways (on a phone) can be reached and scrolled with the keyboard.
  function scrollables() {
    document.querySelectorAll("main table, main .scroll").forEach(el => {
      if (el.scrollWidth > el.clientWidth + 1) { el.tabIndex = 0; } else if (el.tabIndex === 0) { el.removeAttribute("tabindex"); }
    });
  }
  window.vestigeScrollables = scrollables;
  window.addEventListener("load", scrollables);
  window.addEventListener("resize", scrollables);
  document.addEventListener("htmx:afterSwap", scrollables);

  document.addEventListener("click", ev => {
    const t = ev.target;
    const toggle = t.closest && t.closest(".menu-toggle");
    if (toggle) {  // the phone menu
      const open = document.getElementById("top").classList.toggle("open");
      toggle.setAttribute("aria-expanded", open);
      return;
    }
    if (t.matches && t.matches("input[data-select-all]")) {  // "select all on this page"
      document.querySelectorAll(t.dataset.selectAll).forEach(c => { c.checked = t.checked; });
      return;
    }
    if (t.matches && t.matches("img.graphic")) { t.classList.remove("graphic"); return; }  // a blurred thumbnail
    if (t.matches && t.matches("img[data-unblur]")) { t.style.filter = ""; return; }  // greyscale stays where chosen
    if (t.matches && t.matches("button[data-show-full]")) {  // the full-size view (recorded by the server)
      const img = document.getElementById("full");
      img.src = t.dataset.showFull;
      img.style.filter = "";
      t.remove();
    }
  });
  document.addEventListener("change", ev => {
    if (ev.target.matches && ev.target.matches("select[data-autosubmit]")) { ev.target.form.submit(); }
  });
})();
