"""Content credentials (C2PA): a file's manifest store read and validated with the C2PA
reference SDK (``c2pa-python``, the Content Authenticity Initiative's binding of c2pa-rs).

A C2PA manifest is a signed claim embedded in the file: who made it (the signing certificate),
with what (the claim generator: a camera, ProofMode, an editor), and what was done (actions:
created, cropped, edited, …), bound to the file's bytes by a hash. The SDK checks the signature
and the hash bindings; its validation state is ``Invalid`` when the file was changed after it was
signed (or the manifest is corrupt), ``Valid`` when the claim holds but its signer is not on a
trust list, ``Trusted`` when it is. Vestige records the state, the signer, the generator, the
claimed actions and ingredients, and every validation problem the SDK names; a file whose
credentials are ``Invalid`` is a failed step of its intake.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

MAX_ACTIONS = 50


@functools.lru_cache(maxsize=1)
def _types() -> frozenset:
    try:
        import c2pa
    except ImportError:  # pragma: no cover - a dependency
        return frozenset()
    return frozenset(c2pa.Reader.get_supported_mime_types())


def supported(media_type: str) -> bool:
    return media_type in _types()


SCAN_LIMIT = 256 * 1024 * 1024


def embedded(path: str | Path) -> bool:
    """Whether the file can hold an embedded manifest store: its JUMBF superbox is labelled
    ``c2pa`` (C2PA 2.1 §11.1), so a file without those four bytes has none. A scan with mmap (fast
    beside the SDK's stream callbacks, which hold the interpreter); files past 256 MB go to the SDK."""
    import mmap

    p = Path(path)
    size = p.stat().st_size
    if size == 0:
        return False
    if size > SCAN_LIMIT:
        return True
    with p.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return m.find(b"c2pa") != -1


def remote(path: str | Path) -> str | None:
    """The URL of a manifest stored remotely (C2PA 2.1 §11.4: the XMP ``dcterms:provenance`` of a
    file whose manifest is not embedded), or None. Not fetched: capture never reaches out on its own."""
    import re

    try:
        with Path(path).open("rb") as f:
            head = f.read(4 * 1024 * 1024)
    except OSError:
        return None
    m = re.search(rb'dcterms:provenance(?:="([^"]{1,2000})"|>([^<]{1,2000})<)', head)
    if not m:
        return None
    return (m.group(1) or m.group(2)).decode("utf-8", "replace").strip() or None


def read(path: str | Path, media_type: str) -> dict | None:
    """The file's content credentials, or None when it has none; a manifest stored remotely is
    reported as such (its URL, state "remote"), never as "no credentials"."""
    if not embedded(path):
        url = remote(path)
        if url:
            return {"state": "remote", "manifest_url": url, "problems": [
                "the manifest is stored remotely and was not fetched: retrieve it from its URL to check it"]}
        return None
    import c2pa

    try:
        with Path(path).open("rb") as f:
            reader = c2pa.Reader(media_type, f)
            store = json.loads(reader.json())
            state = reader.get_validation_state()
    except c2pa.C2paError as e:
        if "ManifestNotFound" in type(e).__name__ or "ManifestNotFound" in str(e) or "JUMBF" in str(e):
            return None
        return {"state": "Invalid", "problems": [f"the manifest cannot be read: {str(e)[:300]}"]}
    active = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    signature = active.get("signature_info") or {}
    actions = []
    for assertion in active.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for a in (assertion.get("data") or {}).get("actions") or []:
                actions.append({k: a[k] for k in ("action", "when", "softwareAgent", "digitalSourceType") if a.get(k)})
    generators = [" ".join(str(g.get(k, "")) for k in ("name", "version")).strip()
                  for g in active.get("claim_generator_info") or []] or [active.get("claim_generator") or ""]
    problems = [f"{s.get('code')}: {s.get('explanation', '')}".strip(": ")
                for s in store.get("validation_status") or []]
    return {
        "state": str(state or ("Invalid" if problems else "Valid")),
        "signer": {k: v for k, v in {"issuer": signature.get("issuer"), "name": signature.get("common_name"),
                                     "algorithm": signature.get("alg"), "time": signature.get("time"),
                                     "serial": signature.get("cert_serial_number")}.items() if v},
        "generator": [g for g in generators if g],
        "title": active.get("title"),
        "actions": actions[:MAX_ACTIONS],
        "ingredients": [i.get("title") for i in active.get("ingredients") or [] if i.get("title")],
        "manifests": len(store.get("manifests") or {}),
        "problems": problems,
    }
