"""Sites and graves for GIS tools: GeoJSON (RFC 7946), KML 2.2 and GeoPackage
(:mod:`vestige.registry.geopackage`), out and in.

Out: every site the user may see (its Point or Polygon) and every grave with a position, each a
feature with the register's fields (``kind``: site or grave). GeoJSON coordinates are longitude,
latitude in WGS 84 as RFC 7946 requires (no ``crs`` member); KML is the OGC 2.2 schema, one
``Placemark`` per feature with its fields as ``ExtendedData``.

In: the same files (as QGIS, Google Earth or this export write them). Sites are created through
the register's services (every check the forms make: the geometry valid, latitude and longitude
not swapped, the site's region); graves through the graves import's row checks (the position
inside its site). All features or none; a dry run names every bad feature by its number.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import BinaryIO

from django.db import transaction
from django.utils.translation import gettext as _

from vestige import access
from vestige.errors import ImportRejected, InvalidInput, RowError, VestigeError
from vestige.registry import geopackage, services
from vestige.registry.importing import ImportReport, check_rows, write_rows
from vestige.registry.models import Grave, Site

KML_NS = "http://www.opengis.net/kml/2.2"
SITE_FIELDS = ("ref", "name", "kind", "region", "locality", "description", "discovered_on", "discovery_method")
GRAVE_FIELDS = ("site", "label", "marker_type", "inscription", "position_note", "expected_occupants", "status", "notes")
MAX_FEATURES = 100_000


def features(actor, site: str = "") -> list[dict]:
    """GeoJSON features of the sites (or the one named) and their graves with a position."""
    out = []
    sites = access.scope(Site.objects.filter(withdrawn_at__isnull=True), actor).order_by("ref")
    if site:
        sites = sites.filter(ref=site)
    for s in sites:
        props = {"kind": "site", **{f: _value(getattr(s, f)) for f in SITE_FIELDS if f != "kind"},
                 "site_kind": s.kind}
        out.append({"type": "Feature", "geometry": s.geometry, "properties": props})
    graves = access.scope(Grave.objects.filter(withdrawn_at__isnull=True, latitude__isnull=False,
                                               site__in=sites).select_related("site"), actor).order_by("site__ref", "label")
    for g in graves:
        props = {"kind": "grave", **{f: _value(g.site.ref if f == "site" else getattr(g, f)) for f in GRAVE_FIELDS}}
        out.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [g.longitude, g.latitude]},
                    "properties": props})
    return out


def _value(v):
    return v.isoformat() if hasattr(v, "isoformat") else ("" if v is None else v)


def to_geojson(feats: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False, indent=1).encode()


def _coords(ring) -> str:
    return " ".join(f"{lon},{lat}" for lon, lat, *_rest in ring)


def to_kml(feats: list[dict], title: str = "Vestige") -> bytes:
    ET.register_namespace("", KML_NS)
    kml = ET.Element(f"{{{KML_NS}}}kml")
    doc = ET.SubElement(kml, f"{{{KML_NS}}}Document")
    ET.SubElement(doc, f"{{{KML_NS}}}name").text = title
    for f in feats:
        p = f["properties"]
        mark = ET.SubElement(doc, f"{{{KML_NS}}}Placemark")
        ET.SubElement(mark, f"{{{KML_NS}}}name").text = str(p.get("ref") or f"{p.get('site')}#{p.get('label')}")
        data = ET.SubElement(mark, f"{{{KML_NS}}}ExtendedData")
        for k, v in p.items():
            d = ET.SubElement(data, f"{{{KML_NS}}}Data", name=k)
            ET.SubElement(d, f"{{{KML_NS}}}value").text = str(v)
        g = f["geometry"]
        if g["type"] == "Point":
            pt = ET.SubElement(mark, f"{{{KML_NS}}}Point")
            ET.SubElement(pt, f"{{{KML_NS}}}coordinates").text = _coords([g["coordinates"]])
        else:
            poly = ET.SubElement(mark, f"{{{KML_NS}}}Polygon")
            for i, ring in enumerate(g["coordinates"]):
                b = ET.SubElement(poly, f"{{{KML_NS}}}{'outerBoundaryIs' if i == 0 else 'innerBoundaryIs'}")
                lr = ET.SubElement(ET.SubElement(b, f"{{{KML_NS}}}LinearRing"), f"{{{KML_NS}}}coordinates")
                lr.text = _coords(ring)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(kml, encoding="utf-8")


# --- in -------------------------------------------------------------------------------------

def _read_kml(text: str, name: str) -> list[dict]:
    try:
        root = ET.fromstring(text)  # noqa: S314 - no DTDs or entities are expanded by ElementTree's expat
    except ET.ParseError as e:
        raise InvalidInput(_("%(f)s is not KML: %(e)s") % {"f": name, "e": e}, field="file") from None
    ns = {"k": KML_NS}
    out = []
    for mark in root.iter(f"{{{KML_NS}}}Placemark"):
        props = {d.get("name"): (d.findtext("k:value", default="", namespaces=ns) or "")
                 for d in mark.iter(f"{{{KML_NS}}}Data")}
        props.setdefault("name", mark.findtext("k:name", default="", namespaces=ns))
        point = mark.find(".//k:Point/k:coordinates", ns)
        outer = mark.find(".//k:Polygon/k:outerBoundaryIs/k:LinearRing/k:coordinates", ns)
        geometry = None
        try:
            if point is not None:
                lon, lat, *_rest = (float(x) for x in point.text.strip().split(","))
                geometry = {"type": "Point", "coordinates": [lon, lat]}
            elif outer is not None:
                ring = [[float(c) for c in pair.split(",")[:2]] for pair in outer.text.split()]
                geometry = {"type": "Polygon", "coordinates": [ring]}
        except (ValueError, AttributeError):
            geometry = {"type": "Invalid"}
        out.append({"type": "Feature", "geometry": geometry, "properties": props})
    return out


def read_features(data: bytes, name: str) -> list[dict]:
    """The features of a GeoJSON FeatureCollection, a KML document or a GeoPackage."""
    if data.startswith(geopackage.MAGIC):
        feats = geopackage.read_geopackage(data, name)
        if len(feats) > MAX_FEATURES:
            raise InvalidInput(_("%(f)s has more than %(n)d features; split it.") % {"f": name, "n": MAX_FEATURES},
                               field="file")
        return feats
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(_("%(f)s is not UTF-8 text (byte %(b)d).") % {"f": name, "b": e.start}, field="file") from None
    if text.lstrip().startswith("<"):
        feats = _read_kml(text, name)
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidInput(_("%(f)s is not JSON: %(e)s") % {"f": name, "e": e}, field="file") from None
        if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
            raise InvalidInput(_("%(f)s: expected a GeoJSON FeatureCollection.") % {"f": name}, field="file")
        feats = doc["features"]
    if len(feats) > MAX_FEATURES:
        raise InvalidInput(_("%(f)s has more than %(n)d features; split it.") % {"f": name, "n": MAX_FEATURES},
                           field="file")
    return feats


def import_features(actor, data: BinaryIO, name: str, *, dry_run: bool = False, via: str = "import") -> ImportReport:
    """Sites and graves from a GeoJSON or KML file (``kind`` site or grave per feature; a feature
    with a ``label`` and a ``site`` is a grave, else a site). All or nothing."""
    feats = read_features(data.read(), name)
    problems: list[RowError] = []
    sites, graves = [], []
    for n, f in enumerate(feats, 1):
        props = f.get("properties") if isinstance(f, dict) else None
        geometry = f.get("geometry") if isinstance(f, dict) else None
        if not isinstance(props, dict) or not isinstance(geometry, dict):
            problems.append(RowError(n, "feature", "", _("a feature needs properties and a geometry")))
            continue
        kind = props.get("kind") or ("grave" if props.get("label") and props.get("site") else "site")
        (graves if kind == "grave" else sites).append((n, props, geometry))
    report = ImportReport("sites and graves", name, len(feats), 0, dry_run, problems)
    try:
        with transaction.atomic():
            created = 0
            for n, props, geometry in sites:
                data_ = {k: props.get(k) for k in SITE_FIELDS if props.get(k) not in (None, "")}
                data_["kind"] = props.get("site_kind") or props.get("kind_code") or data_.get("kind")
                if data_.get("kind") == "site":
                    data_.pop("kind")
                data_["geometry"] = geometry
                try:
                    services.create(actor, Site, data_, via=via)
                    created += 1
                except VestigeError as e:
                    errs = getattr(e, "errors", None) or {getattr(e, "field", None) or "feature": [e.message]}
                    problems += [RowError(n, k, str(props.get(k, "")), "; ".join(map(str, v))) for k, v in errs.items()]
            rows = []
            for n, props, geometry in graves:
                if geometry.get("type") != "Point" or not isinstance(geometry.get("coordinates"), list) \
                        or len(geometry["coordinates"]) < 2:
                    problems.append(RowError(n, "geometry", str(geometry.get("type")), _("a grave is a Point")))
                    continue
                row = {k: str(props.get(k, "")) for k in GRAVE_FIELDS if props.get(k) not in (None, "")}
                row["longitude"], row["latitude"] = (str(c) for c in geometry["coordinates"][:2])
                rows.append((n, row))
            instances, errors = check_rows(Grave, rows, name, actor) if rows else ([], [])
            problems += errors
            report.errors = problems
            if problems or dry_run:
                raise _Rollback
            report.created = created + len(write_rows(actor, Grave, instances, via) if instances else [])
    except _Rollback:
        if problems and not dry_run:
            raise ImportRejected(name, problems) from None
    return report


class _Rollback(Exception):
    pass


def gis_import(actor, kind: str, data: BinaryIO, name: str, *, dry_run: bool, options: dict,
               via: str) -> ImportReport:
    """The ``import:gis`` hook of :mod:`vestige.importers`."""
    return import_features(actor, data, name, dry_run=dry_run, via=via)
