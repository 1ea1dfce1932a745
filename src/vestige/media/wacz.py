"""Checking a WACZ web archive: every file against ``datapackage.json``, the package against
``datapackage-digest.json``, and the digest's signature (Webrecorder's "WACZ Signing and
Verification" recommendation).

A WACZ (Webrecorder's "Web Archive Collection Zipped", spec 1.1.1) is a ZIP whose
``datapackage.json`` lists every file (``resources``: ``path``, ``hash`` as ``"sha256:<hex>"``,
``bytes``); ``datapackage-digest.json`` gives the hash of ``datapackage.json`` itself and may carry
``signedData``: the same ``hash`` and ``created`` signed with ECDSA (P-256 or P-384) / SHA-256, either by an
*anonymous* key (``publicKey``: base64 SubjectPublicKeyInfo) or by a *domain* certificate
(``domain``, ``domainCert`` PEM chain, ``timeSignature``: an RFC 3161 timestamp over the signature,
``timestampCert``). Signatures come DER-encoded (authsign) or as the raw 64-byte ``r‖s`` that the
browser's WebCrypto gives (ArchiveWeb.page); both are read.

Why not py-wacz's ``Validation``: it extracts the whole archive to a temporary folder (gigabytes
for a video capture), matches files by the last two components of their path only, and leaves the
signature to authsign, which brings a web server (FastAPI, uvicorn, ACME). Here the ZIP is streamed
member by member with ``hashlib`` and the signatures checked with ``cryptography`` and
``rfc3161-client``, already the vault's dependencies.

The outcome is one of ``valid`` (signed, every check passed), ``unsigned`` (every hash matches,
nothing is signed: the archive is intact as far as it claims, but nobody vouches for it),
``untrusted`` (a domain signature that checks, by a certificate chain whose root is not one the
operator trusts) and ``invalid`` (anything fails), with each problem named.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from vestige.media.warc import record_digest_problems

VALID, UNSIGNED, UNTRUSTED, INVALID = "valid", "unsigned", "untrusted", "invalid"
HASHES = {"sha256", "sha384", "sha512", "sha1", "md5"}
# The spec's own checks (authsign's verifier): a signature made while the domain certificate was
# young (Let's Encrypt certificates are used for signing in their first days) and timestamped
# within minutes of being made.
CERT_DURATION = timedelta(days=7)
STAMP_DURATION = timedelta(minutes=10)
CHUNK = 1 << 20


@dataclass
class WaczCheck:
    state: str = UNSIGNED
    problems: list[str] = field(default_factory=list)
    signer: dict = field(default_factory=dict)
    resources: int = 0
    created: str | None = None
    records: int | None = None  # WARC records whose digests were checked (None: not checked)

    def as_dict(self) -> dict:
        return {"state": self.state, "problems": self.problems, "signer": self.signer,
                "resources": self.resources, "created": self.created, "records": self.records}


def _hash_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, algorithm: str) -> tuple[str, int]:
    h = hashlib.new(algorithm)
    size = 0
    with z.open(info) as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return f"{algorithm}:{h.hexdigest()}", size


def _parse_hash(value, where: str, problems: list[str]) -> str | None:
    if not isinstance(value, str) or ":" not in value:
        problems.append(f"{where}: hash {value!r} is not 'algorithm:hex'")
        return None
    algorithm = value.split(":", 1)[0].lower()
    if algorithm not in HASHES:
        problems.append(f"{where}: unknown hash algorithm {algorithm!r}")
        return None
    return algorithm


RAW_SIZES = {64: 32, 96: 48, 132: 66}  # WebCrypto's IEEE P1363 r‖s for P-256, P-384, P-521


def _signature_der(signature: str, key_size: int | None = None) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    raw = base64.b64decode(signature, validate=True)
    half = RAW_SIZES.get(len(raw))
    if half and (key_size is None or half == (key_size + 7) // 8):  # raw r‖s (ArchiveWeb.page, authsign)
        return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
    return raw  # DER (py-wacz, Vestige before 2026-12)


def _verify_ecdsa(public_key, data: str, signature: str) -> bool:
    """ECDSA over ``data`` with SHA-256 (what WACZ signers use, on P-256 and P-384 alike), or
    SHA-384 on P-384; the signature raw r‖s or DER."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return False
    der = _signature_der(signature, public_key.curve.key_size)
    for algorithm in (hashes.SHA256(), hashes.SHA384()) if public_key.curve.key_size >= 384 else (hashes.SHA256(),):
        try:
            public_key.verify(der, data.encode("utf-8"), ec.ECDSA(algorithm))
            return True
        except (InvalidSignature, ValueError):
            continue
    return False


def _trusted(cert, trusted: set[str]) -> bool:
    """A root is trusted by its certificate's SHA-256 or by its key's (SubjectPublicKeyInfo):
    the same root cross-signed (ISRG Root X1 under DST Root CA X3) has another certificate, one key."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return fingerprint_der(cert.public_bytes(Encoding.DER)) in trusted or fingerprint_der(spki) in trusted


def _load_public_key(value: str):
    from cryptography.hazmat.primitives import serialization

    text = value.strip()
    if text.startswith("-----BEGIN"):
        return serialization.load_pem_public_key(text.encode())
    return serialization.load_der_public_key(base64.b64decode(text, validate=True))


def fingerprint_der(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _chain(pem_text: str) -> list:
    from cryptography import x509

    return x509.load_pem_x509_certificates(pem_text.encode("ascii"))


def _chain_problems(certs, name: str) -> list[str]:
    """Each certificate signed by the next (RSA or ECDSA), the last the root of the chain."""
    from cryptography.exceptions import InvalidSignature

    problems = []
    for cert, issuer in zip(certs, certs[1:], strict=False):
        try:
            cert.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError) as e:
            problems.append(f"{name} certificate chain: '{cert.subject.rfc4514_string()}' is not signed by "
                            f"'{issuer.subject.rfc4514_string()}' ({type(e).__name__})")
    return problems


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        from datetime import UTC
        t = t.replace(tzinfo=UTC)
    return t


def _domain_signature(signed: dict, check: WaczCheck, trusted_roots: set[str], trusted_tsa_roots: set[str]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    problems = check.problems
    try:
        certs = _chain(signed.get("domainCert") or "")
    except ValueError as e:
        problems.append(f"signature: domainCert is not a PEM certificate chain ({e})")
        return
    if not certs:
        problems.append("signature: domainCert holds no certificate")
        return
    problems += _chain_problems(certs, "domain")
    cert, root = certs[0], certs[-1]
    root_fp = fingerprint_der(root.public_bytes(Encoding.DER))
    try:
        names = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
        try:
            names += cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        except x509.ExtensionNotFound:
            pass
    except ValueError:
        names = []
    names = list(dict.fromkeys(names))
    check.signer = {"kind": "domain", "domain": signed.get("domain"), "certificate": cert.subject.rfc4514_string(),
                    "root": root.subject.rfc4514_string(), "root_sha256": root_fp,
                    "software": signed.get("software")}
    if signed.get("domain") not in names:
        problems.append(f"signature: domain {signed.get('domain')!r} is not the certificate's ({', '.join(names) or 'none'})")
    if not _verify_ecdsa(cert.public_key(), str(signed.get("hash", "")), str(signed.get("signature", ""))):
        problems.append("signature: the signature over the package hash does not verify with the domain certificate")
    created = _parse_time(signed.get("created"))
    if created is None:
        problems.append(f"signature: created {signed.get('created')!r} is not a date")
    elif not (cert.not_valid_before_utc <= created <= cert.not_valid_before_utc + CERT_DURATION):
        problems.append(f"signature: created {signed.get('created')} is not within {CERT_DURATION.days} days of the "
                        f"certificate's start ({cert.not_valid_before_utc.isoformat()})")
    stamped = _time_signature(signed, problems, trusted_tsa_roots, check.signer)
    if stamped is not None and created is not None and not (stamped - STAMP_DURATION <= created <= stamped):
        problems.append(f"signature: created {signed.get('created')} is not within {STAMP_DURATION} before the "
                        f"timestamp {stamped.isoformat()}")
    check.signer["trusted"] = _trusted(root, trusted_roots)


def _time_signature(signed: dict, problems: list[str], trusted_tsa_roots: set[str], signer: dict) -> datetime | None:
    """The RFC 3161 token in ``timeSignature`` over the signature text, by ``timestampCert``."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(base64.b64decode(signed.get("timeSignature") or "", validate=True))
        tsa_chain = _chain(signed.get("timestampCert") or "")
    except (ValueError, TypeError) as e:
        problems.append(f"signature: timeSignature or timestampCert cannot be read ({e})")
        return None
    if not tsa_chain:
        problems.append("signature: timestampCert holds no certificate")
        return None
    builder = VerifierBuilder(tsa_certificate=tsa_chain[0], intermediates=tsa_chain[1:-1], roots=[tsa_chain[-1]])
    try:
        builder.build().verify_message(response, str(signed.get("signature", "")).encode("utf-8"))
    except (VerificationError, ValueError) as e:
        problems.append(f"signature: the timestamp does not verify ({e})")
        return None
    stamped = response.tst_info.gen_time
    if stamped.tzinfo is None:
        from datetime import UTC
        stamped = stamped.replace(tzinfo=UTC)
    root_fp = fingerprint_der(tsa_chain[-1].public_bytes(Encoding.DER))
    signer.update({"timestamp": stamped.isoformat(), "timestamp_root": tsa_chain[-1].subject.rfc4514_string(),
                   "timestamp_root_sha256": root_fp, "timestamp_trusted": _trusted(tsa_chain[-1], trusted_tsa_roots)})
    return stamped


def check_wacz(path: str | Path, *, trusted_roots: set[str] | None = None,
               trusted_tsa_roots: set[str] | None = None) -> WaczCheck:
    """Check the WACZ at ``path``; never raises for a bad archive (its problems say what is wrong)."""
    check = WaczCheck()
    problems = check.problems
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        check.state = INVALID
        problems.append(f"not a ZIP archive: {e}")
        return check
    with z:
        members = {i.filename: i for i in z.infolist() if not i.is_dir()}
        if "datapackage.json" not in members:
            check.state = INVALID
            problems.append("datapackage.json is missing: nothing in the archive can be checked")
            return check
        package_bytes = z.read(members["datapackage.json"])
        try:
            package = json.loads(package_bytes)
            resources = package["resources"]
            if not isinstance(resources, list):
                raise TypeError("resources is not a list")
        except (ValueError, KeyError, TypeError) as e:
            check.state = INVALID
            problems.append(f"datapackage.json cannot be read: {e}")
            return check
        check.created = package.get("created")
        listed = set()
        for n, res in enumerate(resources, 1):
            where = f"datapackage.json resource {n}"
            name = res.get("path") if isinstance(res, dict) else None
            if not isinstance(name, str) or not name:
                problems.append(f"{where}: no path")
                continue
            where = f"{name}"
            listed.add(name)
            listed_hash, listed_bytes = res.get("hash"), res.get("bytes")
            if listed_hash is None and isinstance(res.get("stats"), dict):
                # WACZ 1.0.0 (py-wacz before 0.4): {"stats": {"hash", "bytes"}, "hashing": "sha256"}
                listed_hash = f"{res.get('hashing') or 'sha256'}:{res['stats'].get('hash')}"
                listed_bytes = res["stats"].get("bytes")
            algorithm = _parse_hash(listed_hash, where, problems)
            info = members.get(name)
            if info is None:
                problems.append(f"{where}: listed in datapackage.json but not in the archive")
                continue
            if algorithm is None:
                continue
            actual, size = _hash_member(z, info, algorithm)
            check.resources += 1
            if actual.lower() != str(listed_hash).lower():
                problems.append(f"{where}: hash {actual} is not the {listed_hash} that datapackage.json lists")
            if listed_bytes is not None and listed_bytes != size:
                problems.append(f"{where}: {size} bytes, datapackage.json lists {listed_bytes}")
        for name in sorted(set(members) - listed - {"datapackage.json", "datapackage-digest.json"}):
            problems.append(f"{name}: in the archive but not listed in datapackage.json (no hash covers it)")
        _record_digests(z, members, check)

        signed = None
        if "datapackage-digest.json" in members:
            try:
                digest = json.loads(z.read(members["datapackage-digest.json"]))
                algorithm = _parse_hash(digest.get("hash"), "datapackage-digest.json", problems)
            except (ValueError, AttributeError) as e:
                problems.append(f"datapackage-digest.json cannot be read: {e}")
                digest, algorithm = {}, None
            if algorithm:
                actual = f"{algorithm}:{hashlib.new(algorithm, package_bytes).hexdigest()}"
                if actual.lower() != str(digest["hash"]).lower():
                    problems.append(f"datapackage.json: hash {actual} is not the {digest['hash']} that "
                                    "datapackage-digest.json gives (the package list was changed)")
            signed = digest.get("signedData") if isinstance(digest, dict) else None

        if signed:
            if not isinstance(signed, dict):
                problems.append("datapackage-digest.json: signedData is not an object")
            else:
                _signed_data(signed, package, digest, check, trusted_roots or set(), trusted_tsa_roots or set())

    if problems:
        check.state = INVALID
    elif not signed:
        check.state = UNSIGNED
    elif check.signer.get("kind") == "domain" and not (check.signer.get("trusted")
                                                       and check.signer.get("timestamp_trusted")):
        check.state = UNTRUSTED
    else:
        check.state = VALID
    return check


def _record_digests(z: zipfile.ZipFile, members: dict, check: WaczCheck) -> None:
    """Each WARC record's own block and payload digests (:mod:`vestige.media.warc`): a capture
    rewritten inside its WARC and the package re-hashed is still caught."""
    warcs = [n for n in sorted(members) if n.startswith("archive/") and n.endswith((".warc", ".warc.gz"))]
    if not warcs:
        return
    try:
        import warcio  # noqa: F401  (the capture extra; without it the records are not checked)

    except ImportError:
        return
    check.records = 0
    for name in warcs:
        with z.open(members[name]) as stream:
            n, found = record_digest_problems(stream, name)
        check.records += n
        check.problems.extend(found)


def _signed_data(signed: dict, package: dict, digest: dict, check: WaczCheck, trusted_roots, trusted_tsa_roots) -> None:
    problems = check.problems
    if signed.get("hash") != digest.get("hash"):
        problems.append(f"signature: signs hash {signed.get('hash')!r}, not the package's {digest.get('hash')!r}")
    if signed.get("created") != package.get("created"):
        problems.append(f"signature: signed created {signed.get('created')!r} is not the package's {package.get('created')!r}")
    if signed.get("publicKey"):
        try:
            key = _load_public_key(str(signed["publicKey"]))
        except (ValueError, TypeError) as e:
            problems.append(f"signature: publicKey cannot be read ({e})")
            return
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        der = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        check.signer = {"kind": "anonymous", "public_key_sha256": fingerprint_der(der), "software": signed.get("software")}
        try:
            ok = _verify_ecdsa(key, str(signed.get("hash", "")), str(signed.get("signature", "")))
        except (ValueError, TypeError):
            ok = False
        if not ok:
            problems.append("signature: the signature over the package hash does not verify with its public key")
    elif signed.get("domainCert"):
        _domain_signature(signed, check, trusted_roots, trusted_tsa_roots)
    else:
        problems.append("signature: signedData has neither publicKey nor domainCert")


# --- writing (Vestige's own captures, and tests) --------------------------------------------

def package_bytes(members: dict[str, bytes], created: str, *, title: str = "", software: str = "Vestige") -> bytes:
    resources = [{"name": Path(name).name, "path": name, "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
                  "bytes": len(data)} for name, data in sorted(members.items())]
    return json.dumps({"profile": "data-package", "wacz_version": "1.1.1", "title": title, "created": created,
                       "software": software, "resources": resources}, indent=2).encode()


def sign_anonymous(private_key, package: bytes, created: str, software: str = "Vestige") -> bytes:
    """``datapackage-digest.json`` for ``package``, signed by an ECDSA key (anonymous signing) as
    ArchiveWeb.page signs and ReplayWeb.page verifies: SHA-256, the signature raw r‖s (IEEE P1363)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    digest = "sha256:" + hashlib.sha256(package).hexdigest()
    r, s_ = decode_dss_signature(private_key.sign(digest.encode(), ec.ECDSA(hashes.SHA256())))
    width = (private_key.curve.key_size + 7) // 8
    signature = r.to_bytes(width, "big") + s_.to_bytes(width, "big")
    public = private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return json.dumps({"path": "datapackage.json", "hash": digest, "signedData": {
        "hash": digest, "created": created, "software": software, "signature": base64.b64encode(signature).decode(),
        "publicKey": base64.b64encode(public).decode()}}, indent=2).encode()


def write_wacz(path: str | Path, members: dict[str, bytes], created: str, *, digest: bytes | None = None,
               package: bytes | None = None) -> None:
    """A WACZ holding ``members`` with its ``datapackage.json`` (and a digest, when given); WARCs
    stored, not deflated, as the spec asks."""
    package = package if package is not None else package_bytes(members, created)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED if ".warc" in name else zipfile.ZIP_DEFLATED)
        z.writestr("datapackage.json", package)
        if digest is not None:
            z.writestr("datapackage-digest.json", digest)
