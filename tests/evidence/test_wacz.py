"""A WACZ is checked on intake: every file against datapackage.json, datapackage.json against
datapackage-digest.json, and the digest's signature (anonymous key or domain certificate with an
RFC 3161 timestamp). The archives here are built by the test from real WARC-like bytes; the domain
case uses a certificate chain made here and a real timestamp from OpenSSL's TSA."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.tsa import LocalTSA, issue, make_ca, pem
from vestige.evidence import services
from vestige.evidence.models import EventKind
from vestige.media import wacz
from vestige.media.wacz import INVALID, UNSIGNED, UNTRUSTED, VALID, check_wacz

CREATED = "2022-09-16T10:42:05Z"
WARC = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://example.org/izium\r\n"
        b"Content-Length: 5\r\n\r\nhello\r\n\r\n")
MEMBERS = {"archive/data.warc": WARC, "indexes/index.cdxj": b'org,example)/izium 20220916104205 {"url": "x"}\n',
           "pages/pages.jsonl": b'{"format": "json-pages-1.0"}\n{"url": "https://example.org/izium", "title": "Izium", "ts": "2022-09-16T10:42:05Z"}\n'}


def _build(tmp_path, members=None, *, digest=True, key=None, package=None, created=CREATED, name="a.wacz"):
    members = dict(members or MEMBERS)
    package = package if package is not None else wacz.package_bytes(members, created)
    if key is not None:
        d = wacz.sign_anonymous(key, package, created)
    elif digest:
        d = json.dumps({"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package).hexdigest()}).encode()
    else:
        d = None
    path = tmp_path / name
    wacz.write_wacz(path, members, created, digest=d, package=package)
    return path


def _rewrite(path, out, replace: dict[str, bytes]):
    """Copy the ZIP at ``path`` to ``out`` with some members' bytes replaced (or added)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.pop(info.filename, src.read(info)))
        for name, data in replace.items():
            dst.writestr(name, data)
    return out


def test_an_intact_unsigned_archive_is_unsigned_with_every_file_checked(tmp_path):
    check = check_wacz(_build(tmp_path))
    assert check.state == UNSIGNED and check.problems == [] and check.resources == 3


def test_a_changed_file_is_named_with_both_hashes(tmp_path):
    path = _build(tmp_path)
    bad = _rewrite(path, tmp_path / "bad.wacz", {"archive/data.warc": WARC.replace(b"hello", b"HELLO")})
    check = check_wacz(bad)
    assert check.state == INVALID
    expected = "sha256:" + hashlib.sha256(WARC.replace(b"hello", b"HELLO")).hexdigest()
    assert check.problems == [f"archive/data.warc: hash {expected} is not the "
                              f"sha256:{hashlib.sha256(WARC).hexdigest()} that datapackage.json lists"]


def test_a_package_list_recomputed_after_an_edit_is_caught_by_the_digest(tmp_path):
    path = _build(tmp_path)
    edited = dict(MEMBERS, **{"archive/data.warc": WARC.replace(b"hello", b"HELLO")})
    bad = _rewrite(path, tmp_path / "bad.wacz", {"archive/data.warc": edited["archive/data.warc"],
                                                 "datapackage.json": wacz.package_bytes(edited, CREATED)})
    check = check_wacz(bad)
    assert check.state == INVALID
    assert len(check.problems) == 1 and "the package list was changed" in check.problems[0]


def test_a_file_slipped_in_without_a_hash_and_a_listed_file_missing_are_both_named(tmp_path):
    path = _build(tmp_path)
    with zipfile.ZipFile(path) as z:
        kept = {i.filename: z.read(i) for i in z.infolist() if i.filename != "indexes/index.cdxj"}
    kept["archive/extra.warc"] = WARC
    out = tmp_path / "bad.wacz"
    with zipfile.ZipFile(out, "w") as z:
        for name, data in kept.items():
            z.writestr(name, data)
    check = check_wacz(out)
    assert check.state == INVALID
    assert check.problems == ["indexes/index.cdxj: listed in datapackage.json but not in the archive",
                              "archive/extra.warc: in the archive but not listed in datapackage.json (no hash covers it)"]


def test_a_wrong_size_a_bad_hash_field_and_an_unknown_algorithm_are_named(tmp_path):
    package = json.loads(wacz.package_bytes(MEMBERS, CREATED))
    package["resources"][0]["bytes"] += 1
    package["resources"][1]["hash"] = "deadbeef"
    package["resources"][2]["hash"] = "crc32:00"
    path = _build(tmp_path, package=json.dumps(package).encode())
    problems = check_wacz(path).problems
    assert problems[0].startswith("archive/data.warc: ") and problems[0].endswith(f"{len(WARC)} bytes, datapackage.json lists {len(WARC) + 1}")
    assert "indexes/index.cdxj: hash 'deadbeef' is not 'algorithm:hex'" in problems
    assert "pages/pages.jsonl: unknown hash algorithm 'crc32'" in problems


def test_anonymous_signature_der_and_webcrypto_raw_both_verify(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    check = check_wacz(_build(tmp_path, key=key))
    assert check.state == VALID and check.signer["kind"] == "anonymous"
    spki = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert check.signer["public_key_sha256"] == hashlib.sha256(spki).hexdigest()

    # Vestige signs as the browser's WebCrypto does (ArchiveWeb.page): r‖s, 64 bytes on P-256;
    # a DER signature (py-wacz's) verifies too.
    package = wacz.package_bytes(MEMBERS, CREATED)
    digest = json.loads(wacz.sign_anonymous(key, package, CREATED))
    raw = base64.b64decode(digest["signedData"]["signature"])
    assert len(raw) == 64
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    digest["signedData"]["signature"] = base64.b64encode(encode_dss_signature(r, s)).decode()
    path = tmp_path / "der.wacz"
    wacz.write_wacz(path, MEMBERS, CREATED, digest=json.dumps(digest).encode(), package=package)
    assert check_wacz(path).state == VALID


def test_p384_raw_signatures_as_archiveweb_page_and_vestige_sign_them(tmp_path):
    """Issue 28, part 3: ArchiveWeb.page signs with P-384 and a raw 96-byte r‖s signature; it was
    marked invalid (a false tamper alarm). Vestige's captures now sign the same way."""
    key = ec.generate_private_key(ec.SECP384R1())
    package = wacz.package_bytes(MEMBERS, CREATED)
    digest = json.loads(wacz.sign_anonymous(key, package, CREATED))
    assert len(base64.b64decode(digest["signedData"]["signature"])) == 96
    path = tmp_path / "p384.wacz"
    wacz.write_wacz(path, MEMBERS, CREATED, digest=json.dumps(digest).encode(), package=package)
    assert check_wacz(path).state == VALID
    forged = dict(digest, signedData={**digest["signedData"], "signature": base64.b64encode(b"\x01" * 96).decode()})
    wacz.write_wacz(path, MEMBERS, CREATED, digest=json.dumps(forged).encode(), package=package)
    assert check_wacz(path).state == "invalid"


FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "data" / "fixtures" / "wacz"


def test_third_party_waczs_as_their_verifier_reads_them():
    """py-wacz's fixtures: a WACZ 1.0.0 (hashes under "stats") is valid, not "hash None"; a domain
    signature ending at the cross-signed ISRG Root X1 is trusted by the root's key."""
    from django.conf import settings

    if not FIXTURES.exists():
        pytest.skip("the WACZ fixtures are not beside the project")
    assert check_wacz(FIXTURES / "valid_example_1.wacz").state == "unsigned"
    signed = check_wacz(FIXTURES / "valid_signed_example_1.wacz", trusted_roots=settings.VESTIGE_WACZ_TRUSTED_ROOTS,
                        trusted_tsa_roots=settings.VESTIGE_WACZ_TRUSTED_TSA_ROOTS)
    assert signed.state == VALID and signed.signer["trusted"] and signed.signer["root"].startswith("CN=ISRG Root X1")
    staging = check_wacz(FIXTURES / "invalid_signed_example_1.wacz", trusted_roots=settings.VESTIGE_WACZ_TRUSTED_ROOTS,
                         trusted_tsa_roots=settings.VESTIGE_WACZ_TRUSTED_TSA_ROOTS)
    assert staging.state == "untrusted"  # Let's Encrypt's staging root: not trusted


def test_an_edit_with_package_and_digest_recomputed_breaks_the_signature(tmp_path):
    """What an attacker without the key can do: change a file, recompute datapackage.json and the
    digest's hash. The signed hash no longer matches; a re-signature with a key of their own
    verifies, but under another key fingerprint, which the item records."""
    key = ec.generate_private_key(ec.SECP256R1())
    path = _build(tmp_path, key=key)
    digest = json.loads(zipfile.ZipFile(path).read("datapackage-digest.json"))
    edited = dict(MEMBERS, **{"archive/data.warc": WARC.replace(b"hello", b"HELLO")})
    package = wacz.package_bytes(edited, CREATED)
    digest["hash"] = "sha256:" + hashlib.sha256(package).hexdigest()
    bad = _rewrite(path, tmp_path / "bad.wacz", {"archive/data.warc": edited["archive/data.warc"],
                                                 "datapackage.json": package,
                                                 "datapackage-digest.json": json.dumps(digest).encode()})
    check = check_wacz(bad)
    assert check.state == INVALID and check.problems[0].startswith("signature: signs hash")
    digest["signedData"]["hash"] = digest["hash"]  # now the signature itself fails
    bad2 = _rewrite(bad, tmp_path / "bad2.wacz", {"datapackage-digest.json": json.dumps(digest).encode()})
    assert check_wacz(bad2).problems == ["signature: the signature over the package hash does not verify with its public key"]


def _domain_signed(tmp_path, tsa: LocalTSA, *, domain="archive.example.org", cert_domain=None, created=None):
    root_key, root = make_ca("Test Web PKI root")
    key, cert = issue(root_key, root, cert_domain or domain, dns=cert_domain or domain)
    created = created or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    package = wacz.package_bytes(MEMBERS, created)
    digest = "sha256:" + hashlib.sha256(package).hexdigest()
    signature = base64.b64encode(key.sign(digest.encode(), ec.ECDSA(hashes.SHA256()))).decode()
    stamp = tsa.stamp(signature.encode())
    signed = {"hash": digest, "created": created, "software": "authsigner 0.5", "signature": signature,
              "domain": domain, "domainCert": pem(cert, root).decode(),
              "timeSignature": base64.b64encode(stamp).decode(), "timestampCert": tsa.chain_pem.decode()}
    path = tmp_path / "domain.wacz"
    wacz.write_wacz(path, MEMBERS, created, package=package,
                    digest=json.dumps({"path": "datapackage.json", "hash": digest, "signedData": signed}).encode())
    fp = lambda c: hashlib.sha256(c.public_bytes(Encoding.DER)).hexdigest()  # noqa: E731
    return path, signed, fp(root), fp(tsa.root)


def test_domain_signature_with_timestamp_is_valid_only_under_trusted_roots(tmp_path):
    tsa = LocalTSA()
    path, _signed, root_fp, tsa_fp = _domain_signed(tmp_path, tsa)
    check = check_wacz(path)
    assert check.state == UNTRUSTED and check.problems == []
    assert check.signer["domain"] == "archive.example.org" and check.signer["root_sha256"] == root_fp
    stamped = dt.datetime.fromisoformat(check.signer["timestamp"])
    assert abs(stamped - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=2)
    check = check_wacz(path, trusted_roots={root_fp}, trusted_tsa_roots={tsa_fp})
    assert check.state == VALID and check.signer["trusted"] and check.signer["timestamp_trusted"]


def test_domain_signature_problems_are_each_named(tmp_path):
    tsa = LocalTSA()
    path, signed, root_fp, tsa_fp = _domain_signed(tmp_path, tsa, domain="archive.example.org",
                                                   cert_domain="other.example.net")
    problems = check_wacz(path, trusted_roots={root_fp}, trusted_tsa_roots={tsa_fp}).problems
    assert problems == ["signature: domain 'archive.example.org' is not the certificate's (other.example.net)"]

    path, signed, root_fp, tsa_fp = _domain_signed(tmp_path, tsa)
    forged = dict(signed, signature=base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode())
    digest = json.dumps({"path": "datapackage.json", "hash": signed["hash"], "signedData": forged}).encode()
    bad = _rewrite(path, tmp_path / "forged.wacz", {"datapackage-digest.json": digest})
    problems = check_wacz(bad, trusted_roots={root_fp}, trusted_tsa_roots={tsa_fp}).problems
    assert "signature: the signature over the package hash does not verify with the domain certificate" in problems
    assert any(p.startswith("signature: the timestamp does not verify") for p in problems)  # it stamped the old signature


def test_intake_records_the_check_and_a_failed_wacz_is_a_failed_step(tmp_path, users):
    inv = users["investigator"]
    good = services.ingest(inv, io.BytesIO(_build(tmp_path).read_bytes()), "capture.wacz").item
    assert good.metadata["wacz_check"]["state"] == UNSIGNED and good.failed_steps == []
    assert good.metadata["pages"][0]["url"] == "https://example.org/izium"

    path = _build(tmp_path, name="b.wacz")
    bad_bytes = _rewrite(path, tmp_path / "bad.wacz", {"archive/data.warc": WARC.replace(b"hello", b"HELLO")}).read_bytes()
    bad = services.ingest(inv, io.BytesIO(bad_bytes), "tampered.wacz").item
    assert bad.metadata["wacz_check"]["state"] == INVALID
    assert bad.failed_steps[0]["step"] == "wacz" and "archive/data.warc: hash" in bad.failed_steps[0]["error"]
    assert bad.events.filter(kind=EventKind.STEP_FAILED).exists()  # in the signed log too
    assert bad.blob.sha256 == "sha256:" + hashlib.sha256(bad_bytes).hexdigest()  # kept as received


def test_the_item_page_shows_the_check(tmp_path, users, login):
    inv = users["investigator"]
    path = _build(tmp_path)
    bad_bytes = _rewrite(path, tmp_path / "bad.wacz", {"archive/data.warc": b"x"}).read_bytes()
    item = services.ingest(inv, io.BytesIO(bad_bytes), "tampered.wacz").item
    page = login(inv).get(f"/evidence/{item.ref}/").content.decode()
    assert "INVALID" in page and "archive/data.warc: hash" in page


@pytest.mark.parametrize("data, problem", [(b"not a zip", "not a ZIP archive"),
                                          (None, "datapackage.json is missing")])
def test_not_a_wacz_at_all(tmp_path, data, problem):
    p = tmp_path / "x.wacz"
    if data is None:
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("archive/a.warc", WARC)
    else:
        p.write_bytes(data)
    check = check_wacz(p)
    assert check.state == INVALID and check.problems[0].startswith(problem)


def test_capture_without_its_extra_or_with_a_bad_key_says_so(settings, tmp_path, monkeypatch):
    import importlib.util

    from vestige.errors import ConfigurationError
    from vestige.evidence import capture

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "yt_dlp" else real(name, *a))
    with pytest.raises(ConfigurationError, match=r"needs yt_dlp: pip install 'vestige\[capture\]'"):
        capture._run_browser("https://example.org/", tmp_path, None)
    bad = tmp_path / "capture.key"
    bad.write_text("not a key")
    settings.VESTIGE_CAPTURE_KEY = str(bad)
    with pytest.raises(ConfigurationError, match="is not an ECDSA P-384 private key"):  # the key type changed (issue 28)
        capture.capture_key()


def _warc_with_digests(body: bytes) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
                            protocol="HTTP/1.1")
    record = writer.create_warc_record("https://example.org/izium", "response", payload=io.BytesIO(body),
                                       http_headers=http)
    writer.write_record(record)
    record.raw_stream.close()  # warcio spools the payload to compute its digests
    return buf.getvalue()


def test_a_record_rewritten_inside_its_warc_is_caught_by_its_own_digests(tmp_path):
    """WACZ hashes cover the WARC file; an attacker who rewrites a captured page and re-hashes the
    package (and re-signs it with their own key) still leaves the record's WARC digests wrong."""
    good = _warc_with_digests(b"<p>Shelling of the school, 9 May</p>")
    members = {**MEMBERS, "archive/data.warc": good}
    ok = check_wacz(_build(tmp_path, members, name="ok.wacz"))
    assert ok.state == UNSIGNED and ok.records == 1 and not ok.problems
    forged = good.replace(b"9 May", b"8 May")  # same length: Content-Length still right
    check = check_wacz(_build(tmp_path, {**members, "archive/data.warc": forged}, name="forged.wacz",
                              key=ec.generate_private_key(ec.SECP256R1())))
    assert check.state == INVALID
    assert any("archive/data.warc: record 1 (response, https://example.org/izium)" in p and "block digest" in p
               and "payload digest" in p for p in check.problems), check.problems


def test_third_party_warcs_have_no_digest_problems():
    """py-wacz's and warcio's sample archives (revisit records name the original's payload digest)."""
    from vestige.media.warc import record_digest_problems

    if not FIXTURES.exists():
        pytest.skip("the WACZ fixtures are not beside the project")
    for path in sorted(FIXTURES.glob("*.warc*")):
        with path.open("rb") as f:
            n, problems = record_digest_problems(f, path.name)
        assert n >= 1 and problems == [], (path.name, problems)
