// The map of sites and graves (web/map_include.html); Leaflet is loaded before it.
(function () {
  const cfg = document.currentScript.dataset;  // URLs and words from the page (no inline script: CSP)
  const el = document.getElementById("map");
  const focus = el.dataset.site || "";
  const map = L.map(el, {preferCanvas: true});
  const tiles = el.dataset.tiles;
  if (tiles) { L.tileLayer(tiles, {maxZoom: 19, attribution: el.dataset.attribution}).addTo(map); }
  else {
    // No tile server configured: the vendored Natural Earth country outlines, so that the map
    // shows where it is with no network at all.
    map.createPane("base"); map.getPane("base").style.zIndex = 200;
    fetch(cfg.countries)
      .then(r => r.json())
      .then(base => {
        el.vestigeBase = L.geoJSON(base, {pane: "base", interactive: false,
          style: f => ({color: "#8a949b", weight: f.properties.name === "Ukraine" ? 1.6 : 0.8,
                        fillColor: f.properties.name === "Ukraine" ? "#fbfaf5" : "#eceeef", fillOpacity: 1})}).addTo(map);
        map.attributionControl.addAttribution("Natural Earth");
        el.dataset.base = String(base.features.length);
      });
    // Oblast outlines (Natural Earth admin-1) and settlements (GeoNames, CC BY 4.0), named in the
    // interface's language; small towns appear from zoom 9.
    const uk = document.documentElement.lang === "uk";
    const label = p => (uk ? p.name_uk : p.name) || p.name;
    fetch(cfg.oblasts)
      .then(r => r.json())
      .then(obl => {
        el.vestigeOblasts = L.geoJSON(obl, {pane: "base", interactive: false,
          style: () => ({color: "#a3abb0", weight: 0.7, dashArray: "3 3", fill: false})}).addTo(map);
        el.dataset.oblasts = String(obl.features.length);
      });
    fetch(cfg.settlements)
      .then(r => r.json())
      .then(places => {
        const make = min => L.geoJSON(places, {pane: "base",
          filter: f => f.properties.population >= min,
          pointToLayer: (f, latlng) => L.circleMarker(latlng, {pane: "base", radius: 2, color: "#6b7479", weight: 1,
                                                               fillOpacity: 0.7, interactive: false})
            .bindTooltip(label(f.properties), {permanent: true, direction: "right", className: "place-label",
                                                offset: [3, 0]})});
        const big = make(100000), all = make(0);
        const show = () => { const z = map.getZoom();
          [big, all].forEach(l => map.removeLayer(l)); if (z >= 9) all.addTo(map); else if (z >= 6) big.addTo(map); };
        map.on("zoomend", show); show();
        el.vestigePlaces = all;
        map.attributionControl.addAttribution("GeoNames (CC BY 4.0)");
        el.dataset.places = String(places.features.length);
      });
  }
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
