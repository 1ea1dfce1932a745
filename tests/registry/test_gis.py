"""Issue 28, part 6: sites and graves for GIS tools — GeoJSON (RFC 7946) and KML 2.2 out, and the
same files in (all or nothing, every bad feature named, the forms' coordinate checks)."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest

from vestige.errors import ImportRejected
from vestige.registry import gis
from vestige.registry import services as registry
from vestige.registry.models import Grave, Site


@pytest.fixture
def placed(admin, site):
    return registry.create(admin, Grave, {"site": site, "label": "G-7", "latitude": site.latitude + 0.0001,
                                          "longitude": site.longitude + 0.0001})


def test_geojson_and_kml_out(login, admin, site, placed):
    c = login(admin)
    r = c.get("/sites/export.geojson")
    assert r.status_code == 200 and r["Content-Type"] == "application/geo+json"
    doc = json.loads(r.content)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc  # RFC 7946: WGS 84 lon/lat, no crs member
    grave = next(f for f in doc["features"] if f["properties"]["kind"] == "grave")
    assert grave["geometry"]["coordinates"] == [placed.longitude, placed.latitude]
    assert grave["properties"]["site"] == site.ref and grave["properties"]["label"] == "G-7"
    k = c.get("/sites/export.kml")
    root = ET.fromstring(k.content)
    ns = {"k": gis.KML_NS}
    names = [m.findtext("k:name", namespaces=ns) for m in root.iter(f"{{{gis.KML_NS}}}Placemark")]
    assert site.ref in names and f"{site.ref}#G-7" in names
    assert c.get("/sites/export.shp").status_code == 404


def test_the_export_imports_back_into_an_empty_register(admin, site, placed):
    data = gis.to_geojson(gis.features(admin))
    for fmt, payload in (("geojson", data), ("kml", gis.to_kml(gis.features(admin)))):
        Grave.objects.all().delete()
        Site.objects.all().delete()
        report = gis.import_features(admin, io.BytesIO(payload), f"back.{fmt}")
        assert report.created == 2, (fmt, report.errors)
        assert Grave.objects.get(label="G-7").site.ref == site.ref


def test_bad_features_are_named_and_nothing_is_kept(admin, site):
    swapped = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.2, 49.9]},
         "properties": {"kind": "site", "ref": "NEW-1", "name": "ok", "site_kind": "mass_grave"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [site.latitude, site.longitude]},
         "properties": {"kind": "grave", "site": site.ref, "label": "X"}},  # latitude and longitude swapped
        {"type": "Feature", "properties": {}}]}
    with pytest.raises(ImportRejected) as e:
        gis.import_features(admin, io.BytesIO(json.dumps(swapped).encode()), "bad.geojson")
    lines = {r.line for r in e.value.rows}
    assert {2, 3} <= lines
    assert not Site.objects.filter(ref="NEW-1").exists()  # all or nothing
    dry = gis.import_features(admin, io.BytesIO(json.dumps(swapped).encode()), "bad.geojson", dry_run=True)
    assert dry.errors and not Site.objects.filter(ref="NEW-1").exists()
