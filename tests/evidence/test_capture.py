"""Web capture, for real: Debian's Chromium loads a page served on 127.0.0.1 (through a redirect),
the vault keeps a signed WACZ with every HTTP exchange as WARC, a full-page screenshot, the text
and the page's video downloaded by yt-dlp, each an item with its provenance; an investigator does
it from the Capture page, exports a bag with a trusted timestamp and the bag's verify.py checks it."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.site_server import PAGE, SiteServer
from tests.tsa import LocalTSA
from tests.web.test_browser import browser  # noqa: F401  (the module's Chromium)
from vestige.errors import InvalidInput
from vestige.evidence import blobstore, capture
from vestige.evidence.models import EvidenceItem
from vestige.media.wacz import check_wacz

pytestmark = pytest.mark.browser


@pytest.fixture
def site_server(settings):
    if not shutil.which("/usr/bin/chromium"):
        pytest.fail("/usr/bin/chromium is missing: `make chromium` installs Debian's chromium")
    with SiteServer() as s:
        settings.VESTIGE_CAPTURE_ALLOW_PRIVATE = f"127.0.0.1:{s.port}"  # the test site's own port, nothing else
        yield s


def _blob(item) -> bytes:
    return blobstore.path_for(item.blob.sha256).read_bytes()


def test_a_page_is_captured_with_its_exchanges_screenshot_text_and_video(site_server, users, site):
    inv = users["investigator"]
    url = site_server.url("/old-post")
    seen = []
    [result] = capture.capture_many(inv, [url], site=site.ref, progress=lambda p, m: seen.append(p))
    assert result.error == "" and seen == sorted(seen) and seen[-1] >= 90
    wacz_item, shot, text, video = result.items
    assert [i.derivation for i in result.items] == ["", "screenshot", "page text", "media"]
    assert [i.ref for i in result.items[1:]] == [f"{wacz_item.ref}-S1", f"{wacz_item.ref}-P1", f"{wacz_item.ref}-M1"]
    assert all(i.links.get().site == site for i in result.items)

    # Provenance: the address asked, the final one after the redirect, status, headers, tools.
    cap = wacz_item.metadata["capture"]
    assert cap["url"] == url and cap["final_url"] == site_server.url("/post") and cap["status"] == 200
    assert cap["redirects"] == [{"url": url, "status": 301, "location": "/post"}]
    assert cap["headers"]["x-served-by"] == "vestige-test-site"
    assert cap["versions"]["chromium"] and cap["versions"]["yt-dlp"] and cap["versions"]["warcio"]
    prov = wacz_item.provenance.get()
    assert prov.source_url == url and prov.collected_by == inv.username and "Chromium" in prov.method

    # The WACZ: signed by the vault's capture key, every file hashed; the WARC holds the exchanges.
    assert wacz_item.metadata["wacz_check"]["state"] == "valid" and wacz_item.failed_steps == []
    assert wacz_item.metadata["pages"][0]["url"] == site_server.url("/post")
    from warcio.archiveiterator import ArchiveIterator

    with zipfile.ZipFile(io.BytesIO(_blob(wacz_item))) as z:
        assert z.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED
        records = {}
        for rec in ArchiveIterator(io.BytesIO(z.read("archive/data.warc.gz"))):
            records[(rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI"))] = (
                rec, rec.content_stream().read())
        cdx = z.read("indexes/index.cdx").decode()
    page_rec, body = records[("response", site_server.url("/post"))]
    assert body == PAGE.encode() and page_rec.http_headers.get_header("X-Served-By") == "vestige-test-site"
    assert ("request", site_server.url("/post")) in records
    assert records[("response", url)][0].http_headers.get_statuscode() == "301"
    assert ("resource", f"urn:screenshot:{site_server.url('/post')}") in records
    port = site_server.server.server_address[1]
    assert f"1,0,0,127:{port})/post " in cdx  # the page, indexed under its SURT key
    # the screenshot under its own URN, as pywb and cdxj-indexer key it (was ")screenshot:…")
    assert f"urn:screenshot:{site_server.url('/post')} " in cdx and ")screenshot:" not in cdx

    # The screenshot, the text, the video: real files, the video the server's own bytes.
    assert shot.media_type == "image/png" and shot.metadata["height"] > 2500  # full page, not the viewport
    assert "more than 440 graves" in _blob(text).decode()
    assert video.media_type == "video/mp4"
    assert video.blob.sha256 == "sha256:" + hashlib.sha256(site_server.files["/media/clip.mp4"][0]).hexdigest()
    assert video.metadata["frame_phashes"] and video.metadata["capture"]["extractor"]


def test_a_tampered_capture_is_caught(site_server, users, tmp_path):
    [result] = capture.capture_many(users["investigator"], [site_server.url("/post")])
    data = _blob(result.items[0])
    src = tmp_path / "c.wacz"
    src.write_bytes(data)
    out = tmp_path / "edited.wacz"
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out, "w") as b:
        for info in a.infolist():
            raw = a.read(info)
            if info.filename == "pages/pages.jsonl":
                raw = raw.replace(b"440 graves", b"4 graves")
            b.writestr(info, raw)
    check = check_wacz(out)
    assert check.state == "invalid" and check.problems[0].startswith("pages/pages.jsonl: hash")


def test_a_page_that_fails_is_reported_and_the_others_go_on(site_server, users, settings):
    settings.VESTIGE_CAPTURE_ALLOW_PRIVATE += ",127.0.0.1:9"  # allowed, and nothing listens there
    good, bad = site_server.url("/post"), "http://127.0.0.1:9/nothing"
    results = capture.capture_many(users["investigator"], [bad, good])
    assert "did not load" in results[0].error and results[0].items == []
    assert results[1].error == "" and results[1].items


def test_addresses_are_checked_before_any_browser_starts(settings):
    settings.VESTIGE_CAPTURE_ALLOW_PRIVATE = False
    with pytest.raises(InvalidInput) as e:
        capture.check_urls(["ftp://example.org/x", "http://127.0.0.1:8000/admin", "http://169.254.169.254/latest"])
    message = e.value.message
    assert "“ftp://example.org/x” is not an http:// or https:// address" in message
    assert "“127.0.0.1” is on a private or local network" in message and "169.254.169.254" in message
    with pytest.raises(InvalidInput, match="at least one URL"):
        capture.check_urls(["  "])


def test_the_cli_captures(site_server, users, capsys):
    from vestige.cli import main

    assert main(["evidence", "capture", site_server.url("/post"), "--as", users["investigator"].username]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[3] for line in lines] == ["capture", "screenshot", "page text", "media"]


def test_an_investigator_captures_from_the_page_and_a_court_checks_the_bag(browser, live_server, site_server,  # noqa: F811
                                                                           users, settings, tmp_path):
    from tests.web.test_browser_field import _login

    settings.VESTIGE_TASKS_INLINE = True
    inv = users["investigator"]
    with LocalTSA() as tsa:
        roots = tmp_path / "roots.pem"
        roots.write_bytes(tsa.root_pem)
        settings.VESTIGE_TSA_URLS, settings.VESTIGE_TSA_ROOTS = [tsa.url], str(roots)
        page = browser.new_page()
        page.set_default_timeout(60000)
        _login(page, live_server, inv)
        page.goto(live_server.url + "/evidence/")
        page.click("#capture-link")
        page.fill("#cap-urls", "ftp://nowhere")
        page.click("#capture-form button[type=submit]")
        assert "is not an http:// or https:// address" in page.inner_text("#err-urls")
        page.fill("#cap-urls", site_server.url("/old-post"))
        page.click("#capture-form button[type=submit]")
        page.wait_for_selector("#job-status[data-status=done]")
        assert "Captured." in page.inner_text("#verdict")
        refs = [a.inner_text() for a in page.query_selector_all("#captures li a")]
        assert len(refs) == 4
        page.click(f"#captures li a >> text={refs[0]}")
        assert "valid: every file matches its hash and the signature verifies" in page.inner_text("#metadata")
        assert refs[3] in page.inner_text("#derived")
        page.close()

        items = list(EvidenceItem.objects.filter(ref__in=refs).order_by("ref"))
        from vestige.evidence import bag

        out = bag.export(users["administrator"], items, tmp_path / "bag")
    run = subprocess.run([sys.executable, str(out / "data" / "verify.py"), str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
    assert "existed no later than" in run.stdout
