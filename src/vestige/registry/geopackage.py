"""Sites and graves as an OGC GeoPackage (``.gpkg``), out and in, through pyogrio (GDAL's OGR,
bundled in its wheel: the `gis` extra), so that QGIS and ArcGIS open what Vestige writes and
Vestige reads what they write.

One layer, ``vestige``, in WGS 84 (EPSG:4326), of generic geometry (a site is a Point or a
Polygon, a grave a Point), with the same fields as the GeoJSON export. Geometries cross as
well-known binary (OGC Simple Features, ISO 19125): written and read here for the two types the
register holds; any other type in a file is refused by name.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import numpy as np
from django.utils.translation import gettext as _

from vestige.errors import ConfigurationError, InvalidInput

__all__ = ["MAGIC", "read_geopackage", "to_geopackage"]

MAGIC = b"SQLite format 3\x00"  # a GeoPackage is an SQLite database
LAYER = "vestige"
_POINT, _POLYGON = 1, 3


def _pyogrio():
    try:
        import pyogrio  # lazy: the optional gis extra (GDAL)
    except ImportError:
        raise ConfigurationError(_("GeoPackage files need the gis extra: pip install 'vestige[gis]'")) from None
    return pyogrio


def wkb(geometry: dict) -> bytes:
    """A GeoJSON Point or Polygon as little-endian WKB."""
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Point":
        return struct.pack("<BIdd", 1, _POINT, float(coords[0]), float(coords[1]))
    if kind == "Polygon":
        out = [struct.pack("<BII", 1, _POLYGON, len(coords))]
        for ring in coords:
            out.append(struct.pack("<I", len(ring)))
            out += [struct.pack("<dd", float(x), float(y)) for x, y, *_z in ring]
        return b"".join(out)
    raise InvalidInput(_("a %(t)s cannot be written to a GeoPackage here (Point or Polygon)") % {"t": kind},
                       field="geometry")


def geometry_of(data: bytes) -> dict:
    """WKB (ISO or extended, either byte order, 2D, or with Z/M dropped) as a GeoJSON geometry."""
    order = "<" if data[0] == 1 else ">"
    code = struct.unpack_from(order + "I", data, 1)[0]
    iso = (code & 0x0FFFFFFF) // 1000  # ISO: 1 Z, 2 M, 3 ZM; extended WKB: flag bits
    has_z = iso in (1, 3) or bool(code & 0x80000000)
    has_m = iso in (2, 3) or bool(code & 0x40000000)
    dims = 2 + has_z + has_m
    base = (code & 0x0FFFFFFF) % 1000
    step = 8 * dims
    if base == _POINT:
        x, y = struct.unpack_from(order + "dd", data, 5)
        return {"type": "Point", "coordinates": [x, y]}
    if base == _POLYGON:
        n_rings = struct.unpack_from(order + "I", data, 5)[0]
        at, rings = 9, []
        for _r in range(n_rings):
            n = struct.unpack_from(order + "I", data, at)[0]
            at += 4
            rings.append([list(struct.unpack_from(order + "dd", data, at + i * step)) for i in range(n)])
            at += n * step
        return {"type": "Polygon", "coordinates": rings}
    raise InvalidInput(_("geometry type %(t)d: the register holds Points and Polygons") % {"t": base}, field="geometry")


def to_geopackage(feats: list[dict]) -> bytes:
    """The features (as :func:`vestige.registry.gis.features` gives them) as a GeoPackage file."""
    pyogrio = _pyogrio()
    fields: list[str] = []
    for f in feats:
        fields += [k for k in f["properties"] if k not in fields]
    columns = [np.array(["" if f["properties"].get(k) is None else str(f["properties"].get(k, "")) for f in feats],
                        dtype=object) for k in fields]
    with tempfile.TemporaryDirectory(prefix="vestige-gpkg-") as tmp:
        path = Path(tmp) / "sites.gpkg"
        pyogrio.raw.write(path, np.array([wkb(f["geometry"]) for f in feats], dtype=object), columns, fields=fields,
                          layer=LAYER, driver="GPKG", crs="EPSG:4326", geometry_type="Unknown", encoding="UTF-8")
        return path.read_bytes()


def read_geopackage(data: bytes, name: str) -> list[dict]:
    """GeoJSON-like features of a GeoPackage's first layer (or its ``vestige`` layer)."""
    pyogrio = _pyogrio()
    with tempfile.TemporaryDirectory(prefix="vestige-gpkg-") as tmp:
        path = Path(tmp) / "in.gpkg"
        path.write_bytes(data)
        try:
            layers = [str(n) for n, _t in pyogrio.list_layers(path)]
            layer = LAYER if LAYER in layers else (layers[0] if layers else None)
            if layer is None:
                raise InvalidInput(_("%(f)s: the GeoPackage has no layer.") % {"f": name}, field="file")
            meta, _fids, geometries, values = pyogrio.raw.read(path, layer=layer)
        except pyogrio.errors.DataSourceError as e:
            raise InvalidInput(_("%(f)s is not a GeoPackage GDAL can open (%(e)s).") % {"f": name, "e": e},
                               field="file") from None
    crs = (meta.get("crs") or "EPSG:4326").upper()
    if crs not in ("EPSG:4326", "OGC:CRS84"):
        raise InvalidInput(_("%(f)s is in %(c)s; save it in WGS 84 (EPSG:4326).") % {"f": name, "c": crs}, field="file")
    names = list(meta["fields"])
    feats = []
    for i, geometry in enumerate(geometries):
        props = {k: (None if v is None else (v.item() if hasattr(v, "item") else v)) for k, v in
                 zip(names, (col[i] for col in values), strict=True)}
        props = {k: ("" if v is None else str(v)) for k, v in props.items()}
        try:
            shape = geometry_of(bytes(geometry)) if geometry is not None else None
        except (struct.error, IndexError):  # a geometry cut short: named, never a traceback
            raise InvalidInput(_("%(f)s, feature %(n)d: the geometry is damaged.") % {"f": name, "n": i + 1},
                               field="geometry") from None
        feats.append({"type": "Feature", "properties": props, "geometry": shape})
    return feats
