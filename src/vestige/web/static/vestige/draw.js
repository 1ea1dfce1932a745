// Drawing a site's outline on the site form (registry/form.html): each click on the map adds a
// corner; the polygon is written into the Geometry field as GeoJSON (longitude, latitude), which the
// server checks as it checks a typed one. Undo removes the last corner, Clear all of them.
(function () {
  const el = document.getElementById("draw-map");
  if (!el) { return; }
  const cfg = document.currentScript.dataset;
  const field = document.getElementById(el.dataset.target);
  const map = L.map(el);
  window.vestigeBase(map, el, cfg);
  const round = x => Math.round(x * 1e6) / 1e6;
  let pts = [];
  try {
    const g = JSON.parse(field.value || "null");
    if (g && g.type === "Polygon") { pts = g.coordinates[0].slice(0, -1).map(c => [c[1], c[0]]); }
    else if (g && g.type === "Point") { map.setView([g.coordinates[1], g.coordinates[0]], 14); }
  } catch (e) { /* a typed value that is not JSON: the server will say what is wrong with it */ }
  const shape = L.polygon([], {color: "#7a2e2e", weight: 2, fillOpacity: 0.15}).addTo(map);
  const corners = L.layerGroup().addTo(map);
  const write = touched => {
    shape.setLatLngs(pts);
    corners.clearLayers();
    pts.forEach(p => L.circleMarker(p, {radius: 4, color: "#7a2e2e", weight: 1, fillOpacity: 0.9}).addTo(corners));
    if (touched) {
      field.value = pts.length >= 3 ? JSON.stringify({type: "Polygon", coordinates: [
        [...pts.map(p => [round(p[1]), round(p[0])]), [round(pts[0][1]), round(pts[0][0])]]]}) : "";
    }
    el.dataset.corners = String(pts.length);
  };
  if (pts.length) { write(false); map.fitBounds(shape.getBounds().pad(0.3)); }
  else if (!map._loaded) { map.setView([48.5, 31.2], 6); }
  map.on("click", e => { pts.push([e.latlng.lat, e.latlng.lng]); write(true); });
  document.getElementById("draw-undo").addEventListener("click", () => { pts.pop(); write(true); });
  document.getElementById("draw-clear").addEventListener("click", () => { pts = []; write(true); });
  el.dataset.ready = "1";
})();
