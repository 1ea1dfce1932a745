"""C2PA content credentials read on intake with the reference SDK (c2pa-python): a JPEG signed
here (a test root and a signing certificate made with `cryptography`, the manifest built and
signed by the SDK itself) gives its signer, generator and claimed actions; the same file with
one byte changed is INVALID and a failed step; a file without credentials has none."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.media.test_heic import _picture
from tests.tsa import make_ca, pem
from vestige.evidence import services
from vestige.media import credentials

c2pa = pytest.importorskip("c2pa")


def _jpeg() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "JPEG", quality=90)
    return out.getvalue()


def _signer():
    root_key, root = make_ca("C2PA test root")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Newsroom camera"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vestige tests")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(root.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg=b"es256", sign_cert=pem(cert, root), private_key=private,
                                                     ta_url=None))


@pytest.fixture(scope="module")
def signed() -> bytes:
    manifest = {"claim_generator_info": [{"name": "Vestige test camera", "version": "1.0"}], "title": "IMG_1.jpg",
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [
                    {"action": "c2pa.created",
                     "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"},
                    {"action": "c2pa.cropped"}]}}]}
    out = io.BytesIO()
    c2pa.Builder(manifest).sign(_signer(), "image/jpeg", io.BytesIO(_jpeg()), out)
    return out.getvalue()


def test_signed_credentials_are_read(signed, tmp_path):
    p = tmp_path / "a.jpg"
    p.write_bytes(signed)
    found = credentials.read(p, "image/jpeg")
    assert found["state"] == "Valid"  # valid, but the test root is on no trust list
    assert found["signer"]["name"] == "Newsroom camera" and found["signer"]["issuer"] == "Vestige tests"
    assert [a["action"] for a in found["actions"]] == ["c2pa.created", "c2pa.cropped"]
    assert found["generator"][0].startswith("Vestige test camera 1.0")
    assert any(p.startswith("signingCredential.untrusted") for p in found["problems"])


def test_only_files_with_a_manifest_store_go_to_the_sdk(signed, tmp_path):
    a, b = tmp_path / "signed.jpg", tmp_path / "plain.jpg"
    a.write_bytes(signed)
    b.write_bytes(_jpeg())
    assert credentials.embedded(a) and not credentials.embedded(b)
    assert credentials.read(b, "image/jpeg") is None


def test_a_file_changed_after_signing_is_invalid_and_a_failed_step(signed, users):
    data = bytearray(signed)
    data[-200] ^= 0x01  # inside the picture's entropy-coded data, under the manifest's hash
    item = services.ingest(users["investigator"], io.BytesIO(bytes(data)), "edited.jpg").item
    assert item.metadata["c2pa"]["state"] == "Invalid"
    [failed] = item.failed_steps
    assert failed["step"] == "content credentials" and "do not validate" in failed["error"]


def test_intake_records_them_and_the_page_shows_them(signed, users, client):
    inv = users["investigator"]
    item = services.ingest(inv, io.BytesIO(signed), "IMG_1.jpg").item
    assert item.failed_steps == [] and item.metadata["c2pa"]["signer"]["name"] == "Newsroom camera"
    plain = services.ingest(inv, io.BytesIO(_jpeg()), "plain.jpg").item
    assert "c2pa" not in plain.metadata and plain.failed_steps == []
    client.force_login(inv)
    page = client.get(f"/evidence/{item.ref}/").content.decode()
    assert "content credentials (C2PA)" in page and "claimed actions: c2pa.created, c2pa.cropped" in page
