// The base of every map (web/map_include.html, the site form's drawing map): a tile server when one
// is configured, else the vendored Natural Earth outlines with Ukraine's oblasts and settlements,
// named in the page's language. Settlement labels never overlap: after each zoom or move the
// largest places keep their labels and a label that would collide with one already shown is hidden.
window.vestigeBase = function (map, el, cfg) {
  const tiles = el.dataset.tiles;
  if (tiles) { L.tileLayer(tiles, {maxZoom: 19, attribution: el.dataset.attribution}).addTo(map); return; }
  map.createPane("base"); map.getPane("base").style.zIndex = 200;
  map.createPane("outlines"); map.getPane("outlines").style.zIndex = 210;  // always above the country fill
  map.getPane("outlines").style.pointerEvents = "none";
  fetch(cfg.countries)
    .then(r => r.json())
    .then(base => {
      el.vestigeBase = L.geoJSON(base, {pane: "base", interactive: false,
        style: f => ({color: "#8a949b", weight: f.properties.name === "Ukraine" ? 1.6 : 0.8,
                      fillColor: f.properties.name === "Ukraine" ? "#fbfaf5" : "#eceeef", fillOpacity: 1})}).addTo(map);
      map.attributionControl.addAttribution("Natural Earth");
      el.dataset.base = String(base.features.length);
    });
  const uk = document.documentElement.lang === "uk";
  const label = p => (uk ? p.name_uk : p.name) || p.name;
  fetch(cfg.oblasts)
    .then(r => r.json())
    .then(obl => {
      el.vestigeOblasts = L.geoJSON(obl, {pane: "outlines", interactive: false,
        style: () => ({color: "#a3abb0", weight: 0.7, dashArray: "3 3", fill: false})}).addTo(map);
      el.dataset.oblasts = String(obl.features.length);
    });
  if (!cfg.settlements) { return; }
  const declutter = layer => {
    const items = [];
    layer.eachLayer(m => { const t = m.getTooltip(); const e = t && t.getElement();
      if (e) { items.push([m.feature.properties.population || 0, e]); } });
    items.sort((a, b) => b[0] - a[0]);
    const kept = [];
    for (const [, e] of items) {
      e.style.visibility = "";
      const r = e.getBoundingClientRect();
      if (kept.some(k => r.left < k.right && r.right > k.left && r.top < k.bottom && r.bottom > k.top)) {
        e.style.visibility = "hidden";
      } else { kept.push(r); }
    }
    el.dataset.labelsShown = String(kept.length);
    el.dataset.labelsHidden = String(items.length - kept.length);
  };
  fetch(cfg.settlements)
    .then(r => r.json())
    .then(places => {
      const make = min => L.geoJSON(places, {pane: "outlines",
        filter: f => f.properties.population >= min,
        pointToLayer: (f, latlng) => L.circleMarker(latlng, {pane: "outlines", radius: 2, color: "#6b7479", weight: 1,
                                                             fillOpacity: 0.7, interactive: false})
          .bindTooltip(label(f.properties), {permanent: true, direction: "right", className: "place-label",
                                              offset: [3, 0]})});
      const big = make(100000), all = make(0);
      let shown = null;
      const show = () => { const z = map.getZoom();
        const want = z >= 9 ? all : (z >= 6 ? big : null);
        if (want !== shown) { if (shown) { map.removeLayer(shown); } if (want) { want.addTo(map); } shown = want; }
        if (shown) { declutter(shown); } };
      map.on("zoomend moveend", show);
      map.whenReady(show);
      el.vestigePlaces = all;
      el.vestigeDeclutter = () => { if (shown) { declutter(shown); } };
      map.attributionControl.addAttribution("GeoNames (CC BY 4.0)");
      el.dataset.places = String(places.features.length);
    });
};
