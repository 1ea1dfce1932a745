"""Import the output of bellingcat's auto-archiver.

JSON: auto-archiver's ``Metadata`` as its JSON enricher/database writes it —
``{"status", "metadata": {"url", "title", "timestamp", ...}, "media": [{"filename", "urls",
"properties": {"hash": "SHA-256:<hex>", ...}}]}`` — one object per file, or a list of them.
CSV: one row per media file with ``filename`` (or ``file``), ``url`` (or ``link``), ``hash``,
and optionally ``title`` and ``timestamp``.

Media files are looked up next to the metadata file (by their recorded path, then by name).
Each becomes an evidence item with the archived URL, title and time as provenance; the hash
auto-archiver recorded is checked on import (SHA-256 or SHA3-512): a mismatch or a missing file
is reported and recorded, never silently accepted.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from django.utils.translation import gettext as _

from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import InvalidInput
from vestige.evidence import custody, services


def _records(path: Path) -> list[tuple[Path, dict]]:
    """(folder the media are in, auto-archiver Metadata dict) for a file or folder."""
    files = sorted(path.rglob("*.json")) + sorted(path.rglob("*.csv")) if path.is_dir() else [path]
    out = []
    for f in files:
        if f.suffix.lower() == ".json":
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise InvalidInput(_("%(f)s: not JSON (%(e)s)") % {"f": f, "e": e}, field="file") from None
            for d in data if isinstance(data, list) else [data]:
                if isinstance(d, dict) and "media" in d:
                    out.append((f.parent, d))
        elif f.suffix.lower() == ".csv":
            with f.open(newline="", encoding="utf-8-sig") as fh:
                for line, row in enumerate(csv.DictReader(fh), 2):
                    name = row.get("filename") or row.get("file")
                    if not name:
                        raise InvalidInput(_("%(f)s, line %(l)d: no filename column") % {"f": f, "l": line}, field="filename")
                    out.append((f.parent, {"status": row.get("status", ""), "metadata": {
                        "url": row.get("url") or row.get("link", ""), "title": row.get("title", ""),
                        "timestamp": row.get("timestamp", "")},
                        "media": [{"filename": name, "properties": {"hash": row.get("hash", "")}}]}))
    return out


def _check(path: Path, recorded: str) -> str | None:
    """None when the recorded hash matches (or none was recorded); else the reason."""
    if not recorded:
        return None
    algo, _sep, value = recorded.partition(":")
    fn = {"SHA-256": hashlib.sha256, "SHA256": hashlib.sha256, "SHA3-512": hashlib.sha3_512}.get(algo.upper())
    if fn is None or not value:
        return f"unknown hash {recorded!r}"
    h = fn()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return None if h.hexdigest() == value.lower() else f"auto-archiver recorded {recorded}; the file is {algo}:{h.hexdigest()}"


def import_archive(actor, path: str | Path, **kwargs) -> list[services.IngestResult]:

    require(actor, Cap.EVIDENCE_WRITE)
    path = Path(path)
    if not path.exists():
        raise InvalidInput(_("%(p)s: no such file or folder") % {"p": path}, field="path")
    results = []
    for folder, record in _records(path):
        meta = record.get("metadata") or {}
        for media in record.get("media") or []:
            name = media.get("filename") or ""
            candidates = [folder / name, folder / Path(name).name]
            file = next((c for c in candidates if c.is_file()), None)
            label = f"{meta.get('url', '')} {Path(name).name}".strip()
            if file is None:
                results.append(services.IngestResult(label, error=f"media file {name!r} not found next to the metadata"))
                continue
            recorded = (media.get("properties") or {}).get("hash", "")
            mismatch = _check(file, recorded)
            provenance = {"source": "auto-archiver", "source_url": (media.get("urls") or [meta.get("url", "")])[0],
                          "method": f"auto-archiver ({record.get('status', '')})".strip(),
                          "acquired_at": _when(meta.get("timestamp")), "original_name": name,
                          "source_hash": recorded if recorded.upper().startswith("SHA-256") else ""}
            with file.open("rb") as fh:
                r = services.ingest(actor, fh, str(file), provenance=provenance, **kwargs)
            if r.item is not None and meta.get("title") and not r.item.title.strip(" .") == meta["title"]:
                services.annotate(actor, r.item, {"archived_title": meta["title"], "archived_url": meta.get("url", "")},
                                  "auto-archiver record")
            if mismatch and r.item is not None and not recorded.upper().startswith("SHA-256"):
                services._fail(actor, r.item, "auto-archiver hash", mismatch)
                r.failed_steps.append("auto-archiver hash")
            elif mismatch:
                r.failed_steps.append("source hash")
            results.append(r)
    if any(r.item for r in results):
        custody.sign_head()
    return results


def _when(value):
    """The archived time, or None when auto-archiver left none or wrote one we cannot read."""
    try:
        return services.acquired(str(value)) if value else None
    except InvalidInput:
        return None
