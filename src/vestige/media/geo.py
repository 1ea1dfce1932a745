"""ISO 6709 positions as cameras and phones write them in video metadata (``+49.1790+037.2450/``,
``+49.1790+037.2450+125.3/``, or the degrees-minutes forms ``+4910.74+03714.70/``)."""

from __future__ import annotations

import re

_PART = r"([+-])(\d+)(?:\.(\d+))?"
_ISO6709 = re.compile(rf"^\s*{_PART}{_PART}(?:[+-]\d+(?:\.\d+)?)?(?:CRS[^/]*)?/?\s*$")


def _degrees(sign: str, whole: str, frac: str | None, deg_digits: int) -> float:
    """Decimal degrees from one ISO 6709 component: the whole part has ``deg_digits`` digits of
    degrees (2 for latitude, 3 for longitude), then optionally 2 of minutes and 2 of seconds."""
    extra = len(whole) - deg_digits
    if extra not in (0, 2, 4):
        raise ValueError(f"{sign}{whole}: not an ISO 6709 component")
    f = float(f"0.{frac}") if frac else 0.0
    if extra == 0:
        value = int(whole) + f
    elif extra == 2:
        value = int(whole[:deg_digits]) + (int(whole[deg_digits:]) + f) / 60
    else:
        value = int(whole[:deg_digits]) + int(whole[deg_digits:deg_digits + 2]) / 60 + (
            int(whole[deg_digits + 2:]) + f) / 3600
    return -value if sign == "-" else value


def parse_iso6709(text: str | None) -> tuple[float, float] | None:
    """(latitude, longitude) in decimal degrees, or None when ``text`` is not an ISO 6709 point
    (or lies outside the globe)."""
    if not text:
        return None
    m = _ISO6709.match(str(text))
    if not m:
        return None
    try:
        lat = _degrees(m.group(1), m.group(2), m.group(3), 2)
        lon = _degrees(m.group(4), m.group(5), m.group(6), 3)
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return round(lat, 6), round(lon, 6)
