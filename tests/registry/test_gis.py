"""Issue 28, part 6: sites and graves for GIS tools — GeoJSON (RFC 7946) and KML 2.2 out, and the
same files in (all or nothing, every bad feature named, the forms' coordinate checks)."""

from __future__ import annotations

import io
import json
import struct
import xml.etree.ElementTree as ET

import pytest

from vestige.errors import ImportRejected, InvalidInput
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


def test_geopackage_out_read_by_gdal_and_back_in(login, admin, site, placed, tmp_path):
    """GeoPackage (OGC 12-128): the export as GDAL reads it (pyogrio, an independent reader of
    the format), then imported back into an empty register."""
    pyogrio = pytest.importorskip("pyogrio")
    r = login(admin).get("/sites/export.gpkg")
    assert r.status_code == 200 and r["Content-Type"] == "application/geopackage+sqlite3"
    assert r.content.startswith(b"SQLite format 3\x00")
    path = tmp_path / "sites.gpkg"
    path.write_bytes(r.content)
    meta, _fids, geometries, values = pyogrio.raw.read(path)
    assert meta["crs"] == "EPSG:4326" and pyogrio.list_layers(path)[0][0] == "vestige"
    rows = [dict(zip(meta["fields"], (col[i] for col in values), strict=True)) for i in range(len(geometries))]
    grave = next(i for i, row in enumerate(rows) if row["kind"] == "grave")
    assert rows[grave]["label"] == "G-7" and rows[grave]["site"] == site.ref
    # the grave's WKB, read by hand (little-endian Point: 1, 1, x, y)
    assert struct.unpack("<BIdd", bytes(geometries[grave])[:21]) == (1, 1, placed.longitude, placed.latitude)
    Grave.objects.all().delete()
    Site.objects.all().delete()
    report = gis.import_features(admin, io.BytesIO(r.content), "back.gpkg")
    assert report.created == 2, report.errors
    back = Site.objects.get(ref=site.ref)
    assert back.geometry["type"] == site.geometry["type"] and Grave.objects.get(label="G-7").site == back


def test_a_geopackage_from_another_tool_and_its_errors(admin, site, tmp_path):
    pyogrio = pytest.importorskip("pyogrio")
    import numpy as np

    def gpkg(geometries, crs="EPSG:4326", fields=None):
        path = tmp_path / "qgis.gpkg"
        path.unlink(missing_ok=True)
        fields = fields or {"kind": ["site"] * len(geometries), "ref": [f"QG-{i}" for i in range(len(geometries))],
                            "name": ["from QGIS"] * len(geometries), "site_kind": ["mass_grave"] * len(geometries)}
        pyogrio.raw.write(path, np.array(geometries, dtype=object), [np.array(v, dtype=object) for v in fields.values()],
                          fields=list(fields), layer="points", driver="GPKG", crs=crs, geometry_type="Point")
        return path.read_bytes()

    point = struct.pack("<BIdd", 1, 1, 36.25, 49.98)
    report = gis.import_features(admin, io.BytesIO(gpkg([point])), "qgis.gpkg")
    assert report.created == 1 and Site.objects.get(ref="QG-0").latitude == pytest.approx(49.98)
    with pytest.raises(InvalidInput, match="EPSG:4326"):  # a projected file: said, not misread
        gis.import_features(admin, io.BytesIO(gpkg([point], crs="EPSG:32637")), "utm.gpkg")
    with pytest.raises(InvalidInput, match="not a GeoPackage"):
        gis.import_features(admin, io.BytesIO(b"SQLite format 3\x00" + b"\x00" * 80), "broken.gpkg")
    assert Site.objects.filter(ref__startswith="QG-").count() == 1

