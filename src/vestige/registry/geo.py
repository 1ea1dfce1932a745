"""GeoJSON geometry checks for sites: Point or Polygon, WGS 84 longitude/latitude (RFC 7946)."""

from __future__ import annotations

import math

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


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius 6,371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, a)))


def km_outside(geom: dict, lat: float, lon: float) -> float:
    """How far (km) a point lies beyond a site's geometry: its distance from the centroid less the
    site's own radius (the farthest vertex of a Polygon; 0 for a Point)."""
    clat, clon = centroid(geom)
    radius = 0.0
    if geom.get("type") == "Polygon":
        radius = max(distance_km(clat, clon, p[1], p[0]) for p in geom["coordinates"][0])
    return max(0.0, distance_km(clat, clon, lat, lon) - radius)


def looks_swapped(geom: dict, bounds: tuple[float, float, float, float] | None) -> str | None:
    """A message when the geometry lies outside the working area ``bounds`` (south, west, north,
    east) but would lie inside with each position's latitude and longitude exchanged — the usual
    slip when coordinates are copied latitude first; None otherwise (a site abroad stays possible)."""
    if not bounds:
        return None
    south, west, north, east = bounds

    def inside(lat: float, lon: float) -> bool:
        return south <= lat <= north and west <= lon <= east

    lat, lon = centroid(geom)
    if not inside(lat, lon) and inside(lon, lat):
        return _("Latitude and longitude look swapped: this %(t)s lies at %(lat).4f, %(lon).4f, outside the working "
                 "area; exchanged it would lie inside. GeoJSON gives longitude first.") % {
            "t": geom.get("type", ""), "lat": lat, "lon": lon}
    return None
