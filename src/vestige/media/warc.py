"""The digests inside WARC records (ISO 28500:2017 §5.8–5.9): ``WARC-Block-Digest`` over the record's
content block, ``WARC-Payload-Digest`` over its payload (for ``application/http`` records, the
block after the HTTP headers; a ``revisit`` record's payload digest names the original capture's
payload, which it does not carry, so only its block is checked). A WACZ's package hashes cover the WARC files as wholes; these cover
each captured response — a record rewritten and its file re-hashed is still caught.

Digests are ``algorithm:value`` with the value in base32 (as warcio and Heritrix write SHA-1) or
hexadecimal; SHA-1, SHA-256 and SHA-512 are checked, other algorithms are reported as unchecked.
Records are read with warcio's archive iterator (plain or gzip per record), blocks unparsed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import BinaryIO

__all__ = ["record_digest_problems"]

ALGORITHMS = {"sha1": "sha1", "sha-1": "sha1", "sha256": "sha256", "sha-256": "sha256", "sha512": "sha512",
              "sha-512": "sha512"}


def _decode(value: str) -> bytes | None:
    v = value.strip()
    for decode in (lambda x: base64.b32decode(x.upper() + "=" * (-len(x) % 8)), bytes.fromhex):
        try:
            return decode(v)
        except (binascii.Error, ValueError):
            continue
    return None


def _matches(stated: str, data: bytes) -> bool | None:
    """True/False for a checkable digest, None for an algorithm or encoding not checked."""
    algo, _, value = stated.partition(":")
    name = ALGORITHMS.get(algo.strip().lower())
    want = _decode(value) if value else None
    if name is None or want is None:
        return None
    return hashlib.new(name, data).digest() == want


def record_digest_problems(stream: BinaryIO, name: str, *, limit: int = 20) -> tuple[int, list[str]]:
    """(records checked, problems) for the WARC file in ``stream``: each record whose block or
    payload does not hash to the digest it states, named by record number, id and URI (at most
    ``limit`` listed, then a count). A file warcio cannot read is one problem."""
    from warcio.archiveiterator import (
        ArchiveIterator,  # the capture extra's reader, loaded for WARCs only
    )
    from warcio.exceptions import ArchiveLoadFailed

    problems: list[str] = []
    bad = checked = 0
    records = ArchiveIterator(stream, no_record_parse=True)
    try:
        for n, record in enumerate(records, 1):
            headers = record.rec_headers
            block_digest = headers.get_header("WARC-Block-Digest")
            payload_digest = headers.get_header("WARC-Payload-Digest")
            if not block_digest and not payload_digest:
                continue
            block = record.raw_stream.read()
            checked += 1
            where = (f"{name}: record {n} ({headers.get_header('WARC-Type')}, "
                     f"{headers.get_header('WARC-Target-URI') or headers.get_header('WARC-Record-ID')})")
            wrong = []
            if block_digest and _matches(block_digest, block) is False:
                wrong.append(f"block digest {block_digest}")
            if payload_digest and headers.get_header("WARC-Type") != "revisit":  # a revisit's names the original's
                payload = block
                if "application/http" in (headers.get_header("Content-Type") or ""):
                    cut = block.find(b"\r\n\r\n")
                    payload = block[cut + 4:] if cut >= 0 else b""
                if _matches(payload_digest, payload) is False:
                    wrong.append(f"payload digest {payload_digest}")
            if wrong:
                bad += 1
                if len(problems) < limit:
                    problems.append(f"{where}: the content does not hash to its {' and '.join(wrong)}")
    except (ArchiveLoadFailed, ValueError, OSError, EOFError) as e:
        problems.append(f"{name}: cannot be read as WARC records ({e})")
    finally:
        records.close()
    if bad > limit:
        problems.append(f"{name}: {bad - limit} more records with wrong digests")
    return checked, problems
