"""Capture a web page to a forensic standard with nothing but pip packages and a browser.

    python -m vestige.media.webcapture URL OUT_DIR [--chromium PATH] [--timeout S] [--max-media-mb N]
                                                   [--allow ADDRESS:PORT,...] [--user NAME]

Nothing it fetches leaves except through :mod:`vestige.media.egress` (public addresses only,
resolved once, refusals recorded in ``capture.json``), and Chromium runs with its sandbox as an
unprivileged user (``nobody`` when this process is root).

Headless Chromium (Debian's, driven by Playwright) loads the page and scrolls it to the end (lazy
content loads); every HTTP exchange the browser made is recorded (Playwright's HAR, bodies
embedded) and written as WARC/1.1 request and response records (warcio), with the full-page
screenshot and the page's text as ``resource`` records; media on the page are downloaded with
yt-dlp (its platform extractors for the page, then each ``<video>``/``<audio>`` source found).

OUT_DIR receives ``data.warc.gz``, ``screenshot.png``, ``text.txt``, ``media/…`` and
``capture.json`` (URL, final URL after redirects, status and headers of the page, the redirect
chain, title, times, each file's SHA-256, the tool versions). Progress is printed as JSON lines on
stdout (``{"progress": 40, "message": "…"}``) for whoever runs it; it runs in its own process so
that a browser that hangs or crashes takes nothing else with it. Packing the WACZ and signing it
is the caller's (the vault's) work.

Bodies in a HAR are as the browser decoded them: the WARC response keeps the server's
``Content-Encoding``, ``Transfer-Encoding`` and ``Content-Length`` as ``X-Archive-Orig-*`` headers
(the convention of pywb and Webrecorder's tools) and gives the length of the body it holds.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import io
import json
import os
import pwd
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from vestige.media.egress import REFUSED_HEADER, Allow, EgressProxy

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--proxy-bypass-list=<-loopback>",  # loopback too goes through the checking proxy
         "--force-webrtc-ip-handling-policy=disable_non_proxied_udp", "--disable-features=DnsOverHttps"]
LAUNCHER = """#!/bin/sh
# Chromium as {user}, sandboxed: its profile handed over, then exec with that user's ids only.
for a in "$@"; do case "$a" in --user-data-dir=*) chown -R {uid}:{gid} "${{a#--user-data-dir=}}";; esac; done
export HOME={home}
export VESTIGE_CAPTURE_BROWSER={tag}
exec {setpriv} --reuid={uid} --regid={gid} --clear-groups -- {chromium} "$@"
"""
HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
MEDIA_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('video, audio')) {
    if (el.currentSrc) out.push(el.currentSrc);
    if (el.src) out.push(el.src);
    for (const s of el.querySelectorAll('source')) if (s.src) out.push(s.src);
  }
  for (const m of document.querySelectorAll('meta[property="og:video"], meta[property="og:video:url"], meta[property="og:audio"]'))
    if (m.content) out.push(m.content);
  return [...new Set(out)];
}"""
SCROLL_JS = """async () => {
  for (let i = 0; i < 40 && window.scrollY + window.innerHeight < document.body.scrollHeight; i++) {
    window.scrollBy(0, window.innerHeight); await new Promise(r => setTimeout(r, 150));
  }
  window.scrollTo(0, 0);
}"""


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _say(progress: int, message: str) -> None:
    print(json.dumps({"progress": progress, "message": message}), flush=True)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def versions(chromium_version: str = "") -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"chromium": chromium_version}
    for pkg in ("vestige", "playwright", "warcio", "yt-dlp"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = ""
    return out


def surt(url: str) -> str:
    """The SURT form of ``url`` for CDXJ (host reversed, ``www.`` dropped, lower case)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    key = ",".join(reversed(host.split("."))) if host else ""
    if parts.port and parts.port not in (80, 443):
        key += f":{parts.port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{key}){path.lower()}"


def _headers(har_headers) -> list[tuple[str, str]]:
    return [(h["name"], h["value"]) for h in har_headers if not h["name"].startswith(":")]


def _body(content: dict) -> bytes:
    text = content.get("text")
    if text is None:
        return b""
    return base64.b64decode(text) if content.get("encoding") == "base64" else text.encode("utf-8")


def har_to_warc(har: dict, out: Path, extra: list[tuple[str, str, bytes]], info: dict) -> list[str]:
    """Write every HAR exchange (and ``extra`` resources: (uri, content type, bytes)) to a gzipped
    WARC; the CDXJ index lines, sorted."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    index = []
    with out.open("wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="WARC/1.1")
        writer.write_record(writer.create_warcinfo_record(out.name, info))
        for entry in har.get("log", {}).get("entries", []):
            req, resp = entry["request"], entry["response"]
            url = req["url"]
            if not url.startswith(("http://", "https://")) or resp.get("status", 0) <= 0:
                continue
            date = entry.get("startedDateTime") or now()
            warc_date = {"WARC-Date": date.replace("+00:00", "Z")}
            if entry.get("serverIPAddress"):
                warc_date["WARC-IP-Address"] = entry["serverIPAddress"].strip("[]")
            body = _body(resp.get("content", {}))
            headers = []
            for name, value in _headers(resp.get("headers", [])):
                headers.append((f"X-Archive-Orig-{name}", value) if name.lower() in HOP_HEADERS else (name, value))
            headers.append(("Content-Length", str(len(body))))
            protocol = "HTTP/1.1" if str(resp.get("httpVersion", "")).upper() not in ("HTTP/1.0",) else "HTTP/1.0"
            http = StatusAndHeaders(f"{resp['status']} {resp.get('statusText') or ''}".strip(), headers, protocol=protocol)
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=None,
                                               http_headers=http, warc_headers_dict=dict(warc_date))
            parts = urlsplit(url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            post = (req.get("postData") or {}).get("text", "").encode("utf-8")
            req_http = StatusAndHeaders(f"{req['method']} {target} HTTP/1.1", _headers(req.get("headers", [])),
                                        is_http_request=True)
            request = writer.create_warc_record(url, "request", payload=io.BytesIO(post), http_headers=req_http,
                                                warc_headers_dict=dict(warc_date))
            offset = f.tell()
            writer.write_record(record)
            length = f.tell() - offset
            writer.write_record(request)
            ts = date.replace("-", "").replace(":", "").replace("T", "")[:14]
            index.append(f"{surt(url)} {ts} " + json.dumps(
                {"url": url, "mime": (resp.get("content") or {}).get("mimeType", "").split(";")[0],
                 "status": str(resp["status"]), "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                 "length": str(length), "offset": str(offset), "filename": out.name}))
        for uri, ctype, data in extra:
            record = writer.create_warc_record(uri, "resource", payload=io.BytesIO(data), warc_content_type=ctype,
                                               warc_headers_dict={"WARC-Date": now()})
            offset = f.tell()
            writer.write_record(record)
            index.append(f"{surt(uri) if uri.startswith(('http://', 'https://')) else uri} {now()[:19].replace('-', '').replace(':', '').replace('T', '')} "
                         + json.dumps({"url": uri, "mime": ctype, "status": "200", "length": str(f.tell() - offset),
                                       "offset": str(offset), "filename": out.name}))
    return sorted(index)


def _download_media(page_url: str, found: list[str], folder: Path, max_bytes: int, timeout: float,  # noqa: PLR0913
                    proxy: str) -> list[dict]:
    """yt-dlp on the page (its platform extractors), then on each media source the page named."""
    import yt_dlp

    folder.mkdir(exist_ok=True)
    files: list[dict] = []
    seen: set[str] = set()

    def run(url: str) -> bool:
        opts = {"outtmpl": str(folder / "%(id).80s.%(ext)s"), "quiet": True, "no_warnings": True, "noprogress": True,
                "noplaylist": True, "max_filesize": max_bytes, "socket_timeout": timeout, "restrictfilenames": True,
                "retries": 2, "logger": _QuietLogger(), "proxy": proxy}
        try:
            with yt_dlp.YoutubeDL(opts) as ydl:
                info = ydl.extract_info(url, download=True)
        except yt_dlp.utils.DownloadError as e:
            files.append({"url": url, "error": str(e).removeprefix("ERROR: ")[:300]})
            return False
        entries = info.get("entries") or [info] if info else []
        got = False
        for entry in entries:
            for item in entry.get("requested_downloads") or [entry]:
                path = item.get("filepath") or item.get("_filename")
                if path and Path(path).is_file() and path not in seen:
                    seen.add(path)
                    data = Path(path).read_bytes()
                    files.append({"file": str(Path(path).relative_to(folder.parent)), "url": entry.get("webpage_url") or url,
                                  "media_url": entry.get("url") or url, "title": entry.get("title"),
                                  "extractor": entry.get("extractor"), "sha256": _sha256(data), "size": len(data)})
                    got = True
        return got

    if not run(page_url):
        files[:] = [f for f in files if "file" in f]  # the page is not a platform's: its own <video>s follow
        for src in found:
            if src.startswith(("http://", "https://")):
                run(src)
    return files


class _QuietLogger:
    def debug(self, msg):
        pass

    info = warning = debug

    def error(self, msg):
        pass


@contextlib.contextmanager
def launcher(chromium: str, user: str):
    """The program Playwright starts: Chromium itself, or (``user`` given, this process root) a
    small script that hands Chromium's profile to ``user`` and execs it with that user's ids, so
    its sandbox works (Chromium refuses to sandbox as root) and a compromised renderer holds
    nothing of the server's."""
    if not user:
        yield chromium, ""
        return
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise CaptureError(f"the capture user {user!r} does not exist (VESTIGE_CAPTURE_USER)") from None
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise CaptureError("setpriv (util-linux) is needed to run Chromium as an unprivileged user")
    folder = Path(tempfile.mkdtemp(prefix="vestige-browser-"))
    try:
        folder.chmod(0o755)
        home = folder / "home"
        home.mkdir()
        os.chown(home, entry.pw_uid, entry.pw_gid)
        script = folder / "chromium"
        script.write_text(LAUNCHER.format(user=user, uid=entry.pw_uid, gid=entry.pw_gid, home=home, setpriv=setpriv,
                                          chromium=chromium, tag=folder.name))
        script.chmod(0o755)
        yield str(script), user
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def default_user() -> str:
    return "nobody" if os.geteuid() == 0 else ""


def capture(url: str, out: Path, *, chromium: str = CHROMIUM, timeout: float = 30.0, max_media_mb: int = 2000,  # noqa: PLR0913
            media: bool = True, allow: Allow | None = None, user: str | None = None) -> dict:
    """Capture ``url`` into ``out``; every connection through the checking proxy (``allow``: the
    non-public destinations permitted), Chromium sandboxed as ``user`` (default: nobody when root)."""
    with EgressProxy(allow) as proxy:
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            os.environ[name] = proxy.url  # anything else that speaks HTTP (ffmpeg under yt-dlp)
        for name in ("no_proxy", "NO_PROXY"):
            os.environ.pop(name, None)
        record = _capture(url, out, chromium, timeout, max_media_mb, media, proxy,
                          default_user() if user is None else user)
        record["egress"] = {"proxy": "checking forward proxy: public addresses only"
                            + (f", and {proxy.allow.text()}" if proxy.allow.text() else ""),
                            "requests": proxy.log.count(), "refused": proxy.log.refused()}
    (out / "capture.json").write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    _say(90, "captured")
    return record


def _capture(url, out, chromium, timeout, max_media_mb, media, proxy, user) -> dict:  # noqa: PLR0913
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    har_path = out / "exchanges.har"
    started = now()
    _say(5, f"starting the browser for {url}")
    record: dict = {"url": url, "started": started, "redirects": []}
    with sync_playwright() as p, launcher(chromium, user) as (program, as_user):
        browser = p.chromium.launch(executable_path=program, headless=True, chromium_sandbox=True,
                                    args=[*FLAGS, f"--proxy-server={proxy.url}"])
        record["browser"] = {"user": as_user or pwd.getpwuid(os.geteuid()).pw_name, "sandbox": True}
        record["versions"] = versions(browser.version)
        context = browser.new_context(record_har_path=str(har_path), record_har_content="embed",
                                      viewport={"width": 1280, "height": 900}, ignore_https_errors=False,
                                      service_workers="block")
        page = context.new_page()
        page.set_default_timeout(timeout * 1000)
        _say(15, "loading the page")
        try:
            response = page.goto(url, wait_until="load")
        except PlaywrightError as e:
            context.close()
            browser.close()
            raise CaptureError(f"{url}: the page did not load ({str(e).splitlines()[0]})") from None
        try:
            page.wait_for_load_state("networkidle", timeout=min(timeout, 10) * 1000)
        except PlaywrightError:
            pass  # a page that never goes quiet (a live feed) is captured as it is
        _say(35, "scrolling to the end of the page")
        page.evaluate(SCROLL_JS)
        try:
            page.wait_for_load_state("networkidle", timeout=5000)
        except PlaywrightError:
            pass
        if response is not None and response.headers.get(REFUSED_HEADER.lower()) == "refused":
            context.close()
            browser.close()
            raise CaptureError(f"{url}: refused: the page leads to an address that is not public "
                               f"({response.url})")
        if response is not None:
            chain = []
            r = response.request.redirected_from
            while r is not None:
                resp = r.response()
                chain.append({"url": r.url, "status": resp.status if resp else None,
                              "location": resp.headers.get("location") if resp else None})
                r = r.redirected_from
            record["redirects"] = list(reversed(chain))
            record["status"] = response.status
            record["headers"] = response.headers
        record["final_url"] = page.url
        record["title"] = page.title()
        _say(50, "taking the full-page screenshot, reading the text")
        screenshot = page.screenshot(full_page=True, type="png")
        text = page.evaluate("() => document.body ? document.body.innerText : ''")
        found = [urljoin(page.url, s) for s in page.evaluate(MEDIA_JS)]
        record["captured"] = now()
        context.close()  # writes the HAR
        browser.close()
    (out / "screenshot.png").write_bytes(screenshot)
    (out / "text.txt").write_text(text, encoding="utf-8")
    record["media_found"] = found
    _say(60, "writing the WARC")
    har = json.loads(har_path.read_text(encoding="utf-8"))
    record["exchanges"] = sum(1 for e in har["log"]["entries"] if e["response"].get("status", 0) > 0)
    info = {"software": f"Vestige capture (Playwright {record['versions']['playwright']}, "
                        f"Chromium {record['versions']['chromium']}, warcio {record['versions']['warcio']})",
            "format": "WARC File Format 1.1", "isPartOf": url}
    record["index"] = har_to_warc(har, out / "data.warc.gz",
                                  [(f"urn:screenshot:{page_url_of(record)}", "image/png", screenshot),
                                   (f"urn:text:{page_url_of(record)}", "text/plain; charset=utf-8", text.encode("utf-8"))],
                                  info)
    har_path.unlink()
    record["media"] = []
    if media:
        _say(70, "downloading media with yt-dlp")
        record["media"] = _download_media(record["final_url"], found, out / "media", max_media_mb * 1024 * 1024, timeout,
                                          proxy.url)
    record["files"] = {name: _sha256((out / name).read_bytes()) for name in ("data.warc.gz", "screenshot.png", "text.txt")}
    record["id"] = str(uuid.uuid4())
    record["finished"] = now()
    return record


def page_url_of(record: dict) -> str:
    return record.get("final_url") or record["url"]


class CaptureError(RuntimeError):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Capture a web page: WARC, screenshot, text and media.")
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--max-media-mb", type=int, default=2000)
    parser.add_argument("--no-media", action="store_true")
    parser.add_argument("--allow", default="", help="non-public destinations allowed (ADDRESS[/PREFIX][:PORT], ...)")
    parser.add_argument("--user", default=None, help="run Chromium as this user (default: nobody when root)")
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    try:
        capture(args.url, Path(args.out), chromium=args.chromium, timeout=args.timeout,
                max_media_mb=args.max_media_mb, media=not args.no_media, allow=Allow.parse(args.allow), user=args.user)
    except (CaptureError, ValueError) as e:
        print(json.dumps({"error": str(e)}), flush=True)
        return 2
    print(json.dumps({"done": True, "seconds": round(time.monotonic() - t0, 2)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
