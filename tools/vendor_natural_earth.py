"""Make the map's offline base layer: Natural Earth's country outlines (public domain) around
Ukraine, as GeoJSON, from the npm package world-atlas (TopoJSON, ISC licence).

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/vendor_natural_earth.py package/countries-50m.json \\
        src/vestige/web/static/vendor/natural-earth/countries-50m-ukraine.geojson
"""

from __future__ import annotations

import json
import sys

BBOX = (12.0, 40.0, 46.0, 57.0)  # lon min, lat min, lon max, lat max: Ukraine and its neighbours


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs (delta-encoded, quantized) as lists of (lon, lat)."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append((round(x * sx + tx, 4), round(y * sy + ty, 4)))
        out.append(pts)
    return out


def ring(arcs, indexes) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for i in indexes:
        seg = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        pts.extend(seg[1:] if pts else seg)
    return pts


def main(src: str, dst: str) -> None:
    topo = json.load(open(src, encoding="utf-8"))
    arcs = decode_arcs(topo)
    features = []
    for g in topo["objects"]["countries"]["geometries"]:
        if g["type"] == "Polygon":
            polys = [[ring(arcs, r) for r in g["arcs"]]]
        elif g["type"] == "MultiPolygon":
            polys = [[ring(arcs, r) for r in p] for p in g["arcs"]]
        else:
            continue
        lons = [p[0] for poly in polys for r in poly for p in r]
        lats = [p[1] for poly in polys for r in poly for p in r]
        if max(lons) < BBOX[0] or min(lons) > BBOX[2] or max(lats) < BBOX[1] or min(lats) > BBOX[3]:
            continue
        if max(lons) - min(lons) > 60:  # Russia and the like: keep only the parts near the box
            polys = [p for p in polys if any(BBOX[0] - 10 <= x <= BBOX[2] + 10 and BBOX[1] - 5 <= y <= BBOX[3] + 5
                                              for r in p for x, y in r)]
        if not polys:
            continue
        features.append({"type": "Feature", "properties": {"name": g.get("properties", {}).get("name", "")},
                         "geometry": {"type": "MultiPolygon", "coordinates": [[list(map(list, r)) for r in p]
                                                                              for p in polys]}})
    json.dump({"type": "FeatureCollection", "features": features,
               "attribution": "Natural Earth (public domain), via world-atlas 2.0.2"},
              open(dst, "w", encoding="utf-8"), separators=(",", ":"), ensure_ascii=False)
    print(f"{len(features)} countries → {dst}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
