"""Trusted time for signed tree heads: RFC 3161 timestamps from independent Time-Stamping
Authorities (``rfc3161-client`` builds the requests, parses and verifies the tokens).

The ledger's own signature says what the log held; only the ledger key vouches for the time it
gives. A TSA's token is a signature by a third party over the SHA-256 of the head (its canonical
JSON, signature included), stating the time the TSA saw it: the head — and, through its Merkle
root, every event before it — existed no later than that. A court checks a token with the TSA's
root certificate alone, with this module, with a Vestige bag's ``verify.py`` or with
``openssl ts -verify -data HEAD.json -in TOKEN.tsr -CAfile ROOTS.pem``.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_RESPONSE = 1 << 20


class TimestampError(ValueError):
    """A TSA could not be reached, refused, or gave a token that does not verify."""


@dataclass(frozen=True)
class Stamp:
    time: str  # ISO 8601 UTC, the TSA's genTime
    tsa: str  # the TSA's name in the token (or its certificate's subject)
    serial: int
    root_sha256: str  # the root the token verified to


def load_roots(pem: bytes) -> list:
    from cryptography import x509

    try:
        roots = x509.load_pem_x509_certificates(pem)
    except ValueError as e:
        raise TimestampError(f"the TSA root certificates are not PEM certificates ({e})") from None
    if not roots:
        raise TimestampError("no TSA root certificate given")
    return roots


def request_bytes(message: bytes) -> tuple[bytes, int | None]:
    """A DER TimeStampReq for SHA-256(``message``), with a nonce and asking for the TSA's certificate."""
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    req = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256).nonce(nonce=True).build()
    return req.as_bytes(), req.nonce


def fetch(url: str, message: bytes, roots: list, *, timeout: float = 5.0) -> tuple[bytes, Stamp]:
    """Ask the TSA at ``url`` to timestamp ``message``; the token (DER TimeStampResp) and what it
    says, once verified against ``roots`` and the request's nonce."""
    body, nonce = request_bytes(message)
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/timestamp-query",
                                          "Accept": "application/timestamp-reply"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - the operator's TSA URL
            data = resp.read(MAX_RESPONSE + 1)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise TimestampError(f"{url}: {getattr(e, 'reason', e)}") from None
    if len(data) > MAX_RESPONSE:
        raise TimestampError(f"{url}: the answer is larger than {MAX_RESPONSE} bytes")
    return data, verify(data, message, roots, nonce=nonce, where=url)


def verify(token: bytes, message: bytes, roots: list, *, nonce: int | None = None, where: str = "token") -> Stamp:
    """Check that ``token`` is a granted RFC 3161 response over SHA-256 (or -384/-512) of
    ``message``, signed by a TSA certificate (critical EKU timeStamping) that chains to one of
    ``roots``; what it states."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from rfc3161_client import (
        PKIStatus,
        VerificationError,
        VerifierBuilder,
        decode_timestamp_response,
    )

    try:
        response = decode_timestamp_response(token)
    except ValueError as e:
        raise TimestampError(f"{where}: not an RFC 3161 timestamp response ({e})") from None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampError(f"{where}: the TSA refused (status {response.status}: {response.status_string})")
    last_error = None
    for root in roots:
        builder = VerifierBuilder(roots=[root], nonce=nonce)
        try:
            builder.build().verify_message(response, message)
        except (VerificationError, ValueError) as e:
            last_error = e
            continue
        info = response.tst_info
        gen = info.gen_time if info.gen_time.tzinfo else info.gen_time.replace(tzinfo=UTC)
        certs = response.signed_data.certificates
        value = getattr(info.name, "value", info.name)  # a GeneralName: usually a DirectoryName
        name = value.rfc4514_string() if hasattr(value, "rfc4514_string") else str(value or "")
        if not name and certs:
            from cryptography import x509

            name = x509.load_der_x509_certificate(next(iter(certs))).subject.rfc4514_string()
        return Stamp(gen.astimezone(UTC).isoformat().replace("+00:00", "Z"), name, int(info.serial_number),
                     hashlib.sha256(root.public_bytes(Encoding.DER)).hexdigest())
    raise TimestampError(f"{where}: the timestamp does not verify against the trusted TSA roots ({last_error})")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
