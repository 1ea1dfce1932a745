"""Removing what a crash leaves behind, at the next start (and on demand: ``vestige cleanup``).

- ``blobs/tmp/incoming-*``: an intake killed while streaming a file into the store. A blob is
  only ever renamed into place once complete, so these are never evidence; an intake still
  running keeps writing its file, so only files untouched for ``VESTIGE_TMP_STALE_S`` seconds
  (default an hour) are removed.
- ``uploads/*``: dry-run import uploads kept (encrypted) for the person to confirm, after a day.
- ``tmp/uploads/*``: the temporary file of a large upload whose request was killed (Django's, under
  ``FILE_UPLOAD_TEMP_DIR``), after ``VESTIGE_TMP_STALE_S``.

Each removal is reported (the log at start, the command's output) with the file and its size.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

log = logging.getLogger("vestige")

STAGED_MAX_AGE_S = 24 * 3600


def _stale(folder: Path, pattern: str, max_age_s: float) -> list[tuple[Path, int]]:
    if not folder.is_dir():
        return []
    cutoff = time.time() - max_age_s
    out = []
    for p in folder.glob(pattern):
        try:
            st = p.stat()
            if p.is_file() and st.st_mtime < cutoff:
                p.unlink()
                out.append((p, st.st_size))
        except OSError:
            continue  # another process removed it, or it is not ours
    return out


def clean(home: Path, max_age_s: float | None = None) -> list[tuple[Path, int]]:
    from django.conf import settings

    age = settings.VESTIGE_TMP_STALE_S if max_age_s is None else max_age_s
    return (_stale(Path(home) / "blobs" / "tmp", "incoming-*", age)
            + _stale(Path(home) / "tmp" / "uploads", "*", age)
            + _stale(Path(home) / "uploads", "*", max(age, STAGED_MAX_AGE_S) if max_age_s is None else age))


def clean_at_start() -> None:
    from django.conf import settings

    try:
        removed = clean(Path(settings.VESTIGE_HOME))
    except OSError as e:
        log.warning("could not look for files left by interrupted intakes: %s", e)
        return
    if removed:
        total = sum(n for _p, n in removed)
        log.warning("removed %d temporary file(s), %.1f MB, left by interrupted intakes or unconfirmed imports: %s",
                    len(removed), total / 1e6, ", ".join(p.name for p, _n in removed[:10]))
