// The map of sites and graves (web/map_include.html); Leaflet is loaded before it.
(function () {
  const cfg = document.currentScript.dataset;  // URLs and words from the page (no inline script: CSP)
  const el = document.getElementById("map");
  const focus = el.dataset.site || "";
  const map = L.map(el, {preferCanvas: true});
  el.vestigeMap = map;  // for the browser tests and a console user
  window.vestigeBase(map, el, cfg);
  const colours = {recorded: "#b06000", exhumed: "#2f6b3a"};
  fetch(cfg.source + (focus ? "?site=" + encodeURIComponent(focus) : ""), {credentials: "same-origin"})
    .then(r => r.json())
    .then(data => {
      const layer = L.geoJSON(data, {
        // Leaflet applies `style` to point markers too: graves keep the colour of their status (the legend's).
        style: f => f.properties.kind === "grave"
          ? {color: colours[f.properties.status] || "#555", fillColor: colours[f.properties.status] || "#555", weight: 1, fillOpacity: 0.8}
          : {color: "#7a2e2e", weight: 2, fillOpacity: 0.08},
        pointToLayer: (f, latlng) => f.properties.kind === "grave"
          ? L.circleMarker(latlng, {radius: 4, color: colours[f.properties.status] || "#555", weight: 1, fillOpacity: 0.8})
          : L.circleMarker(latlng, {radius: 8, color: "#7a2e2e", weight: 2, fillOpacity: 0.4}),
        onEachFeature: (f, l) => {
          const p = f.properties;
          const a = document.createElement("a"); a.href = p.url;
          a.textContent = p.kind === "grave" ? cfg.grave + " " + p.label + " (" + (p.status_label || p.status) + ")" : p.ref + " " + p.name;
          l.bindPopup(a);
        }
      }).addTo(map);
      const focusLayer = focus ? layer.getLayers().filter(l => l.feature.properties.ref === focus || l.feature.properties.kind === "grave") : [];
      const bounds = (focusLayer.length ? L.featureGroup(focusLayer) : layer).getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds.pad(0.15), {maxZoom: 17}); } else { map.setView([48.5, 31.2], 6); }
      el.vestigeLayer = layer;  // for the browser tests and for a console user: the drawn features
      el.dataset.loaded = String(data.features.length);
    });
})();
