"""Capture web pages into the vault: the page as a signed WACZ, its screenshot, its text and the
media on it, each an evidence item with its provenance and custody.

The browser work runs in its own process (``vestige.media.webcapture``: Chromium through
Playwright, warcio, yt-dlp); this module checks the request, runs it with progress, packs the WACZ
(WARC stored, CDXJ index, pages with their text, ``datapackage.json``), signs its digest with the
vault's capture key (ECDSA P-384, the signature raw r‖s: what ArchiveWeb.page writes, so that
ReplayWeb.page and any WACZ verifier can check it; the ledger's Ed25519 key then covers the WACZ's hash in the
custody log like every item's) and ingests: the WACZ first, then the screenshot (``-S``), the
page text (``-P``) and each media file (``-M``) as items derived from it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import ConfigurationError, InvalidInput, VestigeError
from vestige.evidence import custody, services
from vestige.evidence.services import acquired
from vestige.ledger.signing import write_secret
from vestige.media import egress, wacz

MAX_URLS = 50


@dataclass
class CaptureResult:
    url: str
    items: list = field(default_factory=list)  # EvidenceItem, the WACZ first
    error: str = ""
    record: dict = field(default_factory=dict)


def capture_key():
    """The vault's ECDSA key for signing its WACZ captures: P-384, as ArchiveWeb.page signs and
    ReplayWeb.page verifies (created when absent, mode 600); a P-256 key named by
    VESTIGE_CAPTURE_KEY (an older vault's) still signs."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec


    path = Path(settings.VESTIGE_CAPTURE_KEY or Path(settings.VESTIGE_HOME) / "keys" / "capture-p384.key")
    if path.exists():
        pem = path.read_bytes()
    else:  # created once (write_secret: mode 600, atomic, one winner between two processes)
        pem = write_secret(path, ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as e:
        raise ConfigurationError(_("%(p)s is not an ECDSA P-384 private key") % {"p": path}) from e
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name not in ("secp384r1", "secp256r1"):
        raise ConfigurationError(_("%(p)s is not an ECDSA P-384 private key") % {"p": path})
    return key


def allowed() -> egress.Allow:
    try:
        return egress.Allow.parse(settings.VESTIGE_CAPTURE_ALLOW_PRIVATE)
    except ValueError as e:
        raise ConfigurationError(str(e), field="VESTIGE_CAPTURE_ALLOW_PRIVATE") from None


def check_urls(urls: list[str]) -> list[str]:
    """The URLs, trimmed; every bad one named at once. Only http(s); a host with any address that
    is not globally routable (this machine, its networks, a cloud metadata service, shared address
    space, and the same hidden in IPv6 forms) is refused unless VESTIGE_CAPTURE_ALLOW_PRIVATE allows
    it. This is the first look only: every connection the capture then makes is checked again by
    its proxy (:mod:`vestige.media.egress`), redirects and subresources included."""
    clean = [u.strip() for u in urls if u and u.strip()]
    if not clean:
        raise InvalidInput(_("Give at least one URL to capture."), field="urls")
    if len(clean) > MAX_URLS:
        raise InvalidInput(_("At most %(n)d URLs at a time.") % {"n": MAX_URLS}, field="urls")
    allow = allowed()
    problems = []
    for url in clean:
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or port < 0:
            problems.append(_("“%(u)s” is not an http:// or https:// address") % {"u": url[:200]})
            continue
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port)}
        except (socket.gaierror, UnicodeError):
            problems.append(_("“%(h)s”: no such host") % {"h": parts.hostname})
            continue
        for address in sorted(addresses):
            if not egress.public(address) and not allow.permits(address, port):
                problems.append(_("“%(h)s” is on a private or local network (%(a)s); captures reach only the "
                                  "public web") % {"h": parts.hostname, "a": address})
                break
    if problems:
        raise InvalidInput("; ".join(problems), field="urls")
    return clean


def _run_browser(url: str, out: Path, progress) -> dict:
    import importlib.util

    missing = [m for m in ("playwright", "warcio", "yt_dlp") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigurationError(_("Web capture needs %(m)s: pip install 'vestige[capture]'") % {"m": ", ".join(missing)})
    chromium = settings.VESTIGE_CHROMIUM
    if not Path(chromium).exists():
        raise ConfigurationError(_("Chromium is not at %(p)s: install Debian's chromium (`make chromium`) or set "
                                   "VESTIGE_CHROMIUM") % {"p": chromium})
    cmd = [sys.executable, "-I", "-m", "vestige.media.webcapture", url, str(out), "--chromium", chromium,
           "--timeout", str(settings.VESTIGE_CAPTURE_TIMEOUT_S), "--max-media-mb", str(settings.VESTIGE_CAPTURE_MAX_MEDIA_MB),
           "--allow", allowed().text()]
    if settings.VESTIGE_CAPTURE_USER:
        cmd += ["--user", settings.VESTIGE_CAPTURE_USER]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    error = ""
    with tempfile.TemporaryFile("w+") as err, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True,
                                                             env=env) as proc:
        try:
            for line in proc.stdout:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if "progress" in msg and progress:
                    progress(msg["progress"], msg.get("message", ""))
                error = msg.get("error", error)
            proc.wait(timeout=settings.VESTIGE_CAPTURE_TIMEOUT_S * 4 + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise InvalidInput(_("%(u)s: the capture took too long and was stopped") % {"u": url}, field="urls") from None
        err.seek(0)
        stderr = err.read()
    if proc.returncode != 0:
        raise InvalidInput(error or _("%(u)s: the browser failed (%(e)s)") % {
            "u": url, "e": (stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:300]}, field="urls")
    return json.loads((out / "capture.json").read_text(encoding="utf-8"))


def pack_wacz(folder: Path, record: dict) -> Path:
    """The WACZ of a capture folder, its digest signed with the capture key."""
    page_url = record.get("final_url") or record["url"]
    text = (folder / "text.txt").read_text(encoding="utf-8")
    pages = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages", "hasText": True}),
             json.dumps({"id": record["id"], "url": page_url, "title": record.get("title") or "",
                         "ts": record.get("captured"), "text": text}, ensure_ascii=False)]
    members = {"archive/data.warc.gz": (folder / "data.warc.gz").read_bytes(),
               "indexes/index.cdx": ("\n".join(record["index"]) + "\n").encode("utf-8"),
               "pages/pages.jsonl": ("\n".join(pages) + "\n").encode("utf-8")}
    created = record["captured"][:19] + "Z"
    package = json.loads(wacz.package_bytes(members, created, title=record.get("title") or page_url,
                                            software=f"Vestige {record['versions'].get('vestige', '')}"))
    package.update({"mainPageURL": page_url, "mainPageDate": record.get("captured")})
    package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
    digest = wacz.sign_anonymous(capture_key(), package_bytes, created, software=package["software"])
    path = folder / "capture.wacz"
    wacz.write_wacz(path, members, created, digest=digest, package=package_bytes)
    return path


def _provenance(actor, record: dict, url: str) -> dict:

    v = record.get("versions", {})
    return {"source": _("web capture"), "source_url": url[:2000], "collected_by": actor.username,
            "method": (f"Vestige web capture: Chromium {v.get('chromium', '')}, Playwright {v.get('playwright', '')}, "
                       f"warcio {v.get('warcio', '')}, yt-dlp {v.get('yt-dlp', '')}")[:200],
            "acquired_at": acquired(record.get("captured"))}


def capture(actor, url: str, *, site: str = "", progress=None) -> CaptureResult:
    """Capture one URL (checked with :func:`check_urls` by the caller) and ingest what it gave."""
    require(actor, Cap.EVIDENCE_WRITE)
    links = {"site": site} if site else None
    result = CaptureResult(url)
    work = Path(settings.VESTIGE_HOME) / "captures"
    work.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(prefix="capture-", dir=work) as tmp:
        out = Path(tmp)
        record = _run_browser(url, out, progress)
        result.record = record
        if progress:
            progress(92, _("packing and signing the WACZ"))
        path = pack_wacz(out, record)
        provenance = _provenance(actor, record, url)
        host = (urlsplit(record.get("final_url") or url).hostname or "page").replace(".", "-")
        stamp = record["captured"][:19].replace(":", "").replace("-", "")
        with path.open("rb") as f:
            main = services.ingest(actor, f, f"capture-{host}-{stamp}.wacz", provenance=provenance, links=links)
        fact = {k: record.get(k) for k in ("url", "final_url", "status", "headers", "redirects", "title", "started",
                                           "captured", "exchanges", "versions", "media_found", "egress", "browser")}
        fact["files"] = record.get("files")
        fact["signing_key_sha256"] = main.item.metadata.get("wacz_check", {}).get("signer", {}).get("public_key_sha256")
        services.annotate(actor, main.item, {"capture": fact}, "web capture")
        result.items.append(main.item)
        derived = [("screenshot", out / "screenshot.png", f"screenshot-{host}-{stamp}.png", {}),
                   ("page text", out / "text.txt", f"text-{host}-{stamp}.txt", {})]
        derived += [("media", out / m["file"], Path(m["file"]).name, m) for m in record.get("media", []) if "file" in m]
        for derivation, file, name, extra in derived:
            prov = dict(provenance, source_url=(extra.get("media_url") or provenance["source_url"])[:2000])
            with file.open("rb") as f:
                r = services.ingest(actor, f, name, provenance=prov, links=links, derived_from=main.item,
                                    derivation=derivation)
            if extra:
                services.annotate(actor, r.item, {"capture": {k: extra.get(k) for k in ("url", "media_url", "title", "extractor")}},
                                  "web capture")
            result.items.append(r.item)
        missed = [m for m in record.get("media", []) if "error" in m]
        if missed:
            services.annotate(actor, main.item, {"capture_media_errors": missed}, "web capture")
    custody.sign_head()
    return result


def capture_many(actor, urls: list[str], *, site: str = "", progress=None) -> list[CaptureResult]:
    """Each URL in turn; one that fails is reported and the others go on."""

    urls = check_urls(urls)
    if site:
        services.resolve_links({"site": site}, actor)  # a bad site is said before any browser starts
    results = []
    for n, url in enumerate(urls):
        def step(p, message, n=n, url=url):
            if progress:
                progress(int((n + p / 100) * 100 / len(urls)), f"{url}: {message}")
        try:
            results.append(capture(actor, url, site=site, progress=step))
        except VestigeError as e:
            results.append(CaptureResult(url, error=e.message))
    return results
