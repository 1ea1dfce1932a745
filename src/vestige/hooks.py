"""Named extension points: how a lower layer lets a higher one add to what it does, without
importing it (ARCHITECTURE.md: apps meet through each other's services or registered hooks).

An app *provides* a hook in its ``AppConfig.ready()``; the code that offers the point calls
:func:`providers` (every provider, in the order the apps are installed) or :func:`single` (the
one provider a point must have). The points, each with the app that offers it and the app that
provides it:

============================  ==================  =================================================
point                         offered by          provided by
============================  ==================  =================================================
``import:KIND``               kernel importers    the app owning that kind of file (registry,
                                                  missing, identification, dvi)
``identification.confirm``    identification      dvi: a non-DNA identification still established
``missing.person_results``    missing             identification: a person's candidates and decisions
``missing.family_progress``   missing             identification: a case's stages on the family portal
``missing.person_timeline``   missing             reports: the person's timeline
``missing.person_pdf``        missing             reports: the printed case file
``registry.element_samples``  registry            identification: the skeletal elements DNA was cut from
``registry.dna_associations`` registry            identification: individuals pm-match says are one person
``registry.site_timeline``    registry            reports: the site's timeline
``registry.site_pdf``         registry            reports: the printed site report
============================  ==================  =================================================
"""

from __future__ import annotations

from collections.abc import Callable

from vestige.errors import ConfigurationError

__all__ = ["provide", "providers", "single"]

_POINTS: dict[str, list[Callable]] = {}


def provide(point: str, fn: Callable) -> None:
    """Register ``fn`` at ``point`` (once: ``ready()`` may run twice in tests)."""
    fns = _POINTS.setdefault(point, [])
    if fn not in fns:
        fns.append(fn)


def providers(point: str) -> list[Callable]:
    """Every function registered at ``point`` (none: an empty list)."""
    return list(_POINTS.get(point, ()))


def single(point: str) -> Callable:
    """The one function registered at ``point``; a missing app is a configuration error."""
    fns = _POINTS.get(point, ())
    if len(fns) != 1:
        raise ConfigurationError(f"hook {point!r} has {len(fns)} providers (one expected): is the app that "
                                 "provides it in INSTALLED_APPS?")
    return fns[0]
