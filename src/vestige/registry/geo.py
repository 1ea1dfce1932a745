"""GeoJSON geometry checks for sites: Point or Polygon, WGS 84 longitude/latitude (RFC 7946)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _position(pos, where: str) -> tuple[float, float]:
    if not isinstance(pos, list | tuple) or len(pos) < 2:
        raise ValidationError(_("%(where)s: a position is [longitude, latitude]") % {"where": where})
    lon, lat = pos[0], pos[1]
    if isinstance(lon, bool) or isinstance(lat, bool) or not all(isinstance(v, int | float) for v in (lon, lat)):
        raise ValidationError(_("%(where)s: longitude and latitude must be numbers") % {"where": where})
    if not -180 <= lon <= 180:
        raise ValidationError(_("%(where)s: longitude %(v)s is out of range (−180 to 180)") % {"where": where, "v": lon})
    if not -90 <= lat <= 90:
        raise ValidationError(_("%(where)s: latitude %(v)s is out of range (−90 to 90)") % {"where": where, "v": lat})
    return float(lon), float(lat)


def validate_geometry(geom) -> None:
    """Raise ValidationError unless ``geom`` is a valid GeoJSON Point or Polygon."""
    if not isinstance(geom, dict):
        raise ValidationError(_("geometry must be a GeoJSON object"))
    kind = geom.get("type")
    coords = geom.get("coordinates")
    if kind == "Point":
        _position(coords, "Point")
    elif kind == "Polygon":
        if not isinstance(coords, list) or not coords:
            raise ValidationError(_("Polygon: coordinates must be a list of rings"))
        for i, ring in enumerate(coords):
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValidationError(_("Polygon ring %(i)d: needs at least 4 positions") % {"i": i})
            pts = [_position(p, f"Polygon ring {i}") for p in ring]
            if pts[0] != pts[-1]:
                raise ValidationError(_("Polygon ring %(i)d: first and last positions must be equal") % {"i": i})
    else:
        raise ValidationError(_("geometry type must be Point or Polygon, not %(t)r") % {"t": kind})


def centroid(geom: dict) -> tuple[float, float]:
    """(latitude, longitude) of a Point, or the vertex mean of a Polygon's outer ring."""
    if geom["type"] == "Point":
        lon, lat = geom["coordinates"][:2]
        return float(lat), float(lon)
    ring = geom["coordinates"][0][:-1]
    return (sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring))
