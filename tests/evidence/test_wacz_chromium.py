"""A Vestige-signed WACZ verified in Chromium the way ReplayWeb.page verifies it (issue 28).

The page runs, in a real Chromium's WebCrypto, the anonymous-signature branch of wabac.js 2.27.3's
``verifyWACZSignature`` (``src/wacz/certutils.ts``, the code ReplayWeb.page runs on every WACZ it
loads): the ``publicKey`` imported as SPKI on curve P-384, then
``crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, key, signature, TextEncoder(hash))`` with
the signature as WebCrypto takes it (raw r‖s). Before issue 28 Vestige signed on P-256 in DER: the
import fails on the curve and the DER signature does not verify — wabac said "invalid"."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.web.test_browser import browser  # noqa: F401  (the module's Chromium)
from vestige.media import wacz

pytestmark = pytest.mark.browser

# wabac.js 2.27.3, src/wacz/certutils.ts, verifyWACZSignature (the branch without domainCert).
WABAC_VERIFY = """async ({hash, signature, publicKey}) => {
  const decodeBase64 = s => Uint8Array.from(atob(s), c => c.charCodeAt(0));
  let publicKeyCrypto;
  try {
    publicKeyCrypto = await crypto.subtle.importKey("spki", decodeBase64(publicKey),
      {name: "ECDSA", namedCurve: "P-384"}, true, ["verify"]);
  } catch (e) { return "import failed: " + e.name; }
  const encoder = new TextEncoder();
  return await crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, publicKeyCrypto,
                                    decodeBase64(signature), encoder.encode(hash));
}"""


MEMBERS = {"archive/data.warc": b"WARC/1.1\r\n\r\n"}
CREATED = "2026-12-06T04:00:00Z"


def _digest(key) -> bytes:
    return wacz.sign_anonymous(key, wacz.package_bytes(MEMBERS, CREATED), CREATED)


def _signed(key) -> dict:
    return json.loads(_digest(key))["signedData"]


def test_replaywebpage_verifies_vestiges_signature(browser, live_server, tmp_path):  # noqa: F811
    page = browser.new_page()
    page.goto(live_server.url + "/accounts/login/")  # a secure context (localhost): WebCrypto is there
    key = ec.generate_private_key(ec.SECP384R1())  # the vault's capture key is P-384
    signed = _signed(key)
    assert len(base64.b64decode(signed["signature"])) == 96  # raw r‖s, 48 bytes each
    assert page.evaluate(WABAC_VERIFY, signed) is True
    path = tmp_path / "signed.wacz"  # Vestige's own check of the same archive agrees
    key_digest = _digest(key)
    wacz.write_wacz(path, MEMBERS, CREATED, digest=key_digest)
    assert page.evaluate(WABAC_VERIFY, json.loads(key_digest)["signedData"]) is True
    check = wacz.check_wacz(path)
    assert check.state == wacz.VALID and not check.problems, check.as_dict()

    tampered = {**signed, "hash": "sha256:" + "0" * 64}  # another package's digest: refused
    assert page.evaluate(WABAC_VERIFY, tampered) is False

    # What Vestige wrote before (P-256, DER): wabac cannot even import the key.
    old = ec.generate_private_key(ec.SECP256R1())
    der = old.sign(signed["hash"].encode(), ec.ECDSA(hashes.SHA256()))
    before = {**signed, "signature": base64.b64encode(der).decode(), "publicKey": base64.b64encode(
        old.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()}
    assert page.evaluate(WABAC_VERIFY, before) != True  # noqa: E712  ("import failed: ..." or False)
    page.close()


def test_the_vaults_capture_key_signs_what_replaywebpage_verifies(browser, live_server, settings):  # noqa: F811
    """The key the capture actually uses (created on first use), not a test key."""
    from vestige.evidence.capture import capture_key

    page = browser.new_page()
    page.goto(live_server.url + "/accounts/login/")
    key = capture_key()
    assert key.curve.name == "secp384r1"
    assert page.evaluate(WABAC_VERIFY, _signed(key)) is True
    page.close()
