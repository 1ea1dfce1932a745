"""Trusted time for the custody ledger: kept tree heads timestamped by the configured RFC 3161
Time-Stamping Authorities (``VESTIGE_TSA_URLS``, roots in ``VESTIGE_TSA_ROOTS``), the tokens
kept beside the heads, re-verified by ``vestige evidence verify`` and carried in bags.

A head is stamped when it is kept (after the commit that made it; a TSA that is down never
blocks or undoes evidence work: the failure is logged, the TSA skipped for a minute, and the
next head or ``vestige evidence timestamp`` tries again). A token over head N dates every event
before it, through the head's Merkle root, so heads kept in a burst are covered by the next one
stamped.
"""

from __future__ import annotations

import logging
import time as _time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige.errors import ConfigurationError
from vestige.evidence import custody
from vestige.evidence.models import HeadTimestamp, TreeHeadRecord
from vestige.ledger import canonical_json
from vestige.ledger import timestamp as rfc3161

log = logging.getLogger("vestige.evidence.timestamps")
_down_until: dict[str, float] = {}
_roots_cache: dict[tuple[str, float], list] = {}
DOWN_S = 60


def configured() -> bool:
    return bool(settings.VESTIGE_TSA_URLS)


def roots() -> list:
    """The trusted TSA root certificates (``VESTIGE_TSA_ROOTS``, a PEM file)."""
    path = settings.VESTIGE_TSA_ROOTS
    if not path:
        raise ConfigurationError(_("VESTIGE_TSA_ROOTS is not set: name the PEM file of your Time-Stamping "
                                   "Authorities' root certificates (a timestamp cannot be verified without it)"))
    try:
        key = (path, Path(path).stat().st_mtime)
        if key not in _roots_cache:
            _roots_cache[key] = rfc3161.load_roots(Path(path).read_bytes())
        return _roots_cache[key]
    except OSError as e:
        raise ConfigurationError(_("VESTIGE_TSA_ROOTS %(p)s: %(e)s") % {"p": path, "e": e.strerror}) from None
    except rfc3161.TimestampError as e:
        raise ConfigurationError(f"VESTIGE_TSA_ROOTS {path}: {e}") from None


def message(record: TreeHeadRecord) -> bytes:
    """What a TSA timestamps: the head's canonical JSON, signature included."""
    return canonical_json(custody.head_of(record).as_dict())


def stamp(record: TreeHeadRecord | None = None, *, force: bool = True) -> list[tuple[str, HeadTimestamp | None, str]]:
    """Timestamp ``record`` (default: the newest kept head) with every configured TSA that has not
    stamped it yet: ``(url, token row or None, error or "")`` for each. ``force=False`` skips a
    TSA seen down in the last minute."""
    record = record or custody.keep_head()
    if record is None:
        return []
    trusted = roots()
    done = set(record.timestamps.values_list("tsa_url", flat=True))
    out = []
    for url in settings.VESTIGE_TSA_URLS:
        if url in done:
            out.append((url, record.timestamps.get(tsa_url=url), ""))
            continue
        if not force and _down_until.get(url, 0) > _time.monotonic():
            out.append((url, None, _("skipped: unreachable in the last minute")))
            continue
        try:
            token, got = rfc3161.fetch(url, message(record), trusted, timeout=settings.VESTIGE_TSA_TIMEOUT_S)
        except rfc3161.TimestampError as e:
            _down_until[url] = _time.monotonic() + DOWN_S
            log.warning("timestamp of tree head %s: %s", record.number, e)
            out.append((url, None, str(e)))
            continue
        _down_until.pop(url, None)
        try:
            with transaction.atomic():
                row = HeadTimestamp.objects.create(head=record, tsa_url=url, token=token, time=got.time,
                                                   tsa_name=got.tsa[:500], root_sha256=got.root_sha256)
        except IntegrityError:  # another process stamped it meanwhile
            row = record.timestamps.get(tsa_url=url)
        out.append((url, row, ""))
    return out


def on_kept(record: TreeHeadRecord | None) -> None:
    """After a head is kept: stamp it, unless a stamp younger than VESTIGE_TSA_INTERVAL_S exists."""
    if record is None or not configured():
        return
    interval = settings.VESTIGE_TSA_INTERVAL_S
    if interval and HeadTimestamp.objects.filter(created__gte=timezone.now() - timedelta(seconds=interval)).exists():
        return
    try:
        stamp(record, force=False)
    except ConfigurationError as e:
        log.warning("tree head %s not timestamped: %s", record.number, e)


def problems() -> list[str]:
    """Every kept token re-verified against its head and the trusted roots."""
    rows = list(HeadTimestamp.objects.select_related("head").order_by("head__number", "tsa_url"))
    if not rows:
        return []
    try:
        trusted = roots()
    except ConfigurationError as e:
        return [f"{len(rows)} timestamps kept, none can be checked: {e}"]
    found = []
    skew = timedelta(seconds=settings.VESTIGE_TSA_MAX_SKEW_S)
    for row in rows:
        where = f"tree head {row.head.number}: timestamp from {row.tsa_url}"
        try:
            got = rfc3161.verify(bytes(row.token), message(row.head), trusted, where=where)
        except rfc3161.TimestampError as e:
            found.append(f"{e} (the head or its token was altered)")
            continue
        if got.time != row.time:
            found.append(f"{where}: the token says {got.time}, the database {row.time}")
        try:
            if rfc3161.parse_time(got.time) + skew < rfc3161.parse_time(row.head.time):
                found.append(f"{where}: the TSA saw the head at {got.time}, before the head's own time "
                             f"{row.head.time} (the ledger's clock ran ahead, or the head was dated after the fact)")
        except ValueError:
            found.append(f"tree head {row.head.number}: time {row.head.time!r} is not a date")
    return found
