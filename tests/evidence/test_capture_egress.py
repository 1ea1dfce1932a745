"""Issue 24, part 4: a capture cannot reach inside. Every connection of the browser and of yt-dlp
goes through the capture's checking proxy (vestige.media.egress): public addresses only, resolved
once, refusals recorded; Chromium runs sandboxed as an unprivileged user. The "inside" here is a
second server on 127.0.0.1 (another port than the allowed test site) that counts what reaches it."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from tests.site_server import SiteServer
from vestige.errors import InvalidInput
from vestige.evidence import capture
from vestige.media.egress import Allow, EgressProxy, public


@pytest.mark.parametrize("address, expected", [
    ("8.8.8.8", True), ("2606:4700:4700::1111", True), ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
    ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.1", False), ("169.254.169.254", False),
    ("100.100.100.200", False), ("100.64.0.1", False),  # cloud metadata; shared address space (RFC 6598)
    ("0.0.0.0", False), ("224.0.0.1", False), ("::1", False), ("fe80::1", False), ("fd00::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),  # IPv4-mapped
    ("2002:7f00:1::", False), ("2002:a9fe:a9fe::1", False),  # 6to4 of 127.0.0.1 and 169.254.169.254
    ("64:ff9b::7f00:1", False), ("64:ff9b:1::a00:1", False),  # NAT64 of 127.0.0.1; local-use NAT64
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1 (obfuscated)
    ("::127.0.0.1", False),  # IPv4-compatible
])
def test_only_globally_routable_addresses_are_public(address, expected):
    assert public(address) is expected


def test_allow_lists_parse_and_stay_narrow():
    allow = Allow.parse("127.0.0.1:8123, 10.0.0.0/8, [::1]:80")
    assert allow.permits("127.0.0.1", 8123) and not allow.permits("127.0.0.1", 8124)
    assert allow.permits("10.9.9.9", 1) and allow.permits("::1", 80) and not allow.permits("::1", 81)
    assert Allow.parse("1").everything and not Allow.parse("0").entries and not Allow.parse("").everything
    with pytest.raises(ValueError, match="not ADDRESS"):
        Allow.parse("example.org:80")


@pytest.fixture
def inside():
    """The server's own network, as an attacker would aim at it."""
    with SiteServer() as s:
        yield s


@pytest.fixture
def outside():
    """The site being captured (allowed by port, as a public site would be)."""
    with SiteServer() as s:
        yield s


def _opener(proxy):
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy.url, "https": proxy.url}))


def test_the_proxy_lets_the_allowed_site_through_and_nothing_inside(inside, outside):
    with EgressProxy(Allow.parse(f"127.0.0.1:{outside.port}")) as proxy:
        with _opener(proxy).open(outside.url("/post"), timeout=10) as r:
            assert r.status == 200
        for url in (inside.url("/post"), f"http://localhost:{inside.port}/post", "http://169.254.169.254/latest",
                    f"http://[::ffff:127.0.0.1]:{inside.port}/post"):
            with pytest.raises(urllib.error.HTTPError) as e:
                _opener(proxy).open(url, timeout=10)
            assert e.value.code == 403 and e.value.headers["X-Vestige-Egress"] == "refused"
            e.value.close()
        with socket.create_connection(("127.0.0.1", proxy.server_address[1])) as s:  # CONNECT (https) too
            s.sendall(f"CONNECT 127.0.0.1:{inside.port} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert s.recv(100).startswith(b"HTTP/1.1 403")
        refused = proxy.log.refused()
    assert inside.hits == []
    assert {r["method"] for r in refused} == {"GET", "CONNECT"} and len(refused) == 5
    assert all("not a public address" in r["reason"] for r in refused)


def test_a_name_is_resolved_once_and_the_checked_address_used(outside, monkeypatch):
    """DNS rebinding: a name public when checked and internal a moment later. The proxy connects to
    the address it checked; a second resolution (which would say 127.0.0.1) is never made."""
    import vestige.media.egress as egress

    calls = []
    real = socket.getaddrinfo

    def rebinding(host, port, *a, **k):
        if host == "rebind.example":  # first answer: the allowed site; any later one: inside
            calls.append(host)
            target = "127.0.0.1" if len(calls) == 1 else "10.0.0.1"
            return real(target, port, *a, **k)
        return real(host, port, *a, **k)

    monkeypatch.setattr(egress.socket, "getaddrinfo", rebinding)
    with EgressProxy(Allow.parse(f"127.0.0.1:{outside.port}")) as proxy:
        with _opener(proxy).open(f"http://rebind.example:{outside.port}/post", timeout=10) as r:
            assert r.status == 200
    assert calls == ["rebind.example"]


SSRF_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>bait</title>
<meta property="og:video" content="{inside}/media/clip.mp4"></head><body>
<p>Nothing to see.</p>
<img src="{inside}/img.png"><iframe src="{inside}/frame"></iframe>
<video src="{inside}/media/clip.mp4"></video>
<script>fetch("{inside}/fetched").catch(() => null); fetch("http://localhost:{port}/fetched-by-name").catch(() => null);</script>
</body></html>"""


@pytest.mark.browser
def test_redirects_and_subresources_to_the_inside_are_refused_and_recorded(inside, outside, users, settings):
    import shutil

    if not shutil.which("/usr/bin/chromium"):
        pytest.fail("/usr/bin/chromium is missing: `make chromium` installs Debian's chromium")
    settings.VESTIGE_CAPTURE_ALLOW_PRIVATE = f"127.0.0.1:{outside.port}"
    outside.files["/bait"] = (SSRF_PAGE.format(inside=f"http://127.0.0.1:{inside.port}", port=inside.port).encode(),
                              "text/html; charset=utf-8")
    outside.redirects["/go-inside"] = inside.url("/post")
    inv = users["investigator"]

    [result] = capture.capture_many(inv, [outside.url("/bait")])
    assert result.error == "", result.error
    assert inside.hits == []  # not the <img>, <iframe>, fetch(), <video>, nor yt-dlp's media
    record = result.items[0].metadata["capture"]
    refused = {r["url"] for r in record["egress"]["refused"]}
    assert {inside.url("/img.png"), inside.url("/frame"), inside.url("/fetched"), inside.url("/media/clip.mp4"),
            f"http://localhost:{inside.port}/fetched-by-name"} <= refused
    assert [i.derivation for i in result.items] == ["", "screenshot", "page text"]  # no media fetched from inside
    assert record["browser"] == {"user": "nobody", "sandbox": True}

    [redirected] = capture.capture_many(inv, [outside.url("/go-inside")])
    assert "refused" in redirected.error and redirected.items == []
    assert inside.hits == []


@pytest.mark.browser
def test_chromium_runs_sandboxed_as_an_unprivileged_user():
    import os
    import shutil

    if os.geteuid() != 0 or not shutil.which("/usr/bin/chromium"):
        pytest.skip("runs where Vestige runs as root: Chromium is then handed to nobody")
    import pwd
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from vestige.media.webcapture import FLAGS, launcher

    with sync_playwright() as p, launcher("/usr/bin/chromium", "nobody") as (program, user):
        tag = Path(program).parent.name  # the launcher marks its browser's processes with it
        browser = p.chromium.launch(executable_path=program, headless=True, chromium_sandbox=True, args=FLAGS)
        page = browser.new_page()
        page.goto("chrome://sandbox")
        text = page.inner_text("body")
        uids = set()
        for proc in Path("/proc").iterdir():
            try:
                if f"VESTIGE_CAPTURE_BROWSER={tag}".encode() in (proc / "environ").read_bytes():
                    status = (proc / "status").read_text()
                    uids.add(int(next(ln for ln in status.splitlines() if ln.startswith("Uid:")).split()[1]))
            except (OSError, ValueError, StopIteration):
                continue
        browser.close()
    assert user == "nobody" and uids == {pwd.getpwnam("nobody").pw_uid}
    assert "You are adequately sandboxed." in text, text


def test_a_top_url_inside_is_refused_before_any_browser_starts(settings):
    settings.VESTIGE_CAPTURE_ALLOW_PRIVATE = "127.0.0.1:1"
    with pytest.raises(InvalidInput) as e:
        capture.check_urls(["http://100.100.100.200/latest/meta-data", "http://100.64.1.1/", "http://[2002:7f00:1::]/",
                            "http://127.0.0.1:2/", "http://[::ffff:169.254.169.254]/"])
    for shown in ("100.100.100.200", "100.64.1.1", "2002:7f00:1::", "127.0.0.1", "169.254.169.254"):
        assert shown in e.value.message
    assert capture.check_urls(["http://127.0.0.1:1/x"]) == ["http://127.0.0.1:1/x"]  # exactly what is allowed
    assert json.dumps(capture.allowed().text()) == '"127.0.0.1/32:1"'
