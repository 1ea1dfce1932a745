"""Signed notes, checkpoints and cosignatures, as transparency logs publish and witness them.

- ``c2sp.org/signed-note``: a text ending in a newline, a blank line, then signature lines
  ``— <key name> base64(key ID || signature)``. The key ID is
  ``SHA-256(name || 0x0A || type || public key)[:4]``; a verifier key ("vkey") is
  ``<name>+<key ID in hex>+base64(type || public key)``. Type 0x01 is a plain Ed25519 signature
  over the text (the log's own signature on its checkpoints).
- ``c2sp.org/tlog-checkpoint``: the text is ``origin``, the tree size in decimal and the base64
  RFC 6962/9162 root, one per line.
- ``c2sp.org/tlog-cosignature`` (v1, Ed25519, type 0x04): the signature is
  ``timestamp (u64, big-endian) || Ed25519(b"cosignature/v1\\ntime <timestamp>\\n" || checkpoint text)``,
  a witness's statement that at that time this was the largest consistent tree it had seen.

Checked against the signed-note specification's example and the Go ``sumdb/note`` vectors
(tests/ledger/test_note.py). Pure: bytes and keys in, bytes out; nothing here does I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01  # signed-note Ed25519: a log's checkpoint signature
COSIGNATURE_V1 = 0x04  # tlog-cosignature v1: a witness's timestamped Ed25519 cosignature
DASH = "\u2014"
MAX_SIGNATURES = 64  # the specification asks verifiers to accept at least 16


class NoteError(ValueError):
    """A note, checkpoint, key or signature that is malformed or does not verify."""


def raw_public(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_name(name: str) -> str:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"key name {name!r}: must be non-empty, without spaces or '+'")
    return name


def key_id(name: str, sig_type: int, public: bytes) -> bytes:
    return hashlib.sha256(_check_name(name).encode() + b"\n" + bytes([sig_type]) + public).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A named public key of one signature type (0x01 log, 0x04 witness)."""

    name: str
    sig_type: int
    public: bytes  # 32 raw Ed25519 bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public)

    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(bytes([self.sig_type]) + self.public).decode()}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """A verifier key ``name+hash+base64``; the hash must be the key's own ID."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise NoteError(f"{vkey!r} is not a verifier key (name+keyid+base64)")
        name, hex_id, b64 = parts
        try:
            raw = base64.b64decode(b64, validate=True)
            declared = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError):
            raise NoteError(f"{vkey!r}: the key ID or the key is not hex/base64") from None
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise NoteError(f"{vkey!r}: only Ed25519 keys of types 0x01 and 0x04 are supported")
        verifier = cls(_check_name(name), raw[0], raw[1:])
        if verifier.key_id != declared:
            raise NoteError(f"{vkey!r}: the key ID {hex_id} does not match the name and key")
        return verifier

    def check(self, text: bytes, signature: bytes) -> int | None:
        """Verify ``signature`` (without the key ID) over the note ``text``: None for a log
        signature, the POSIX timestamp for a cosignature. NoteError if it does not verify."""
        public = Ed25519PublicKey.from_public_bytes(self.public)
        timestamp = None
        message = text
        if self.sig_type == COSIGNATURE_V1:
            if len(signature) != 8 + 64:
                raise NoteError(f"cosignature of {self.name}: {len(signature)} bytes, not 72")
            timestamp = struct.unpack(">Q", signature[:8])[0]
            if timestamp >= 2 ** 63:
                raise NoteError(f"cosignature of {self.name}: timestamp out of range")
            message, signature = cosigned_message(text, timestamp), signature[8:]
        try:
            public.verify(signature, message)
        except InvalidSignature:
            raise NoteError(f"the signature of {self.name} does not verify") from None
        return timestamp


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    return b"cosignature/v1\ntime %d\n" % timestamp + text


@dataclass(frozen=True)
class NoteSigner:
    name: str
    sig_type: int
    key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.sig_type, raw_public(self.key))

    def sign(self, text: bytes, timestamp: int | None = None) -> str:
        """The signature line (with its newline) over ``text``; a cosigner needs ``timestamp``."""
        _check_text(text)
        if self.sig_type == COSIGNATURE_V1:
            if timestamp is None:
                raise NoteError("a cosignature needs a timestamp")
            sig = struct.pack(">Q", timestamp) + self.key.sign(cosigned_message(text, timestamp))
        else:
            sig = self.key.sign(text)
        return f"{DASH} {self.name} {base64.b64encode(self.verifier.key_id + sig).decode()}\n"


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes  # after the key ID
    line: str  # as received, with its newline


def _check_text(text: bytes) -> None:
    if not text.endswith(b"\n"):
        raise NoteError("a note's text must end with a newline")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("a note must be UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in decoded):
        raise NoteError("a note must not hold control characters")


def split(note: bytes) -> tuple[bytes, list[Signature]]:
    """(text, signatures) of a signed note; the text is separated at the last blank line."""
    at = note.rfind(b"\n\n")
    if at < 0 or not note.endswith(b"\n"):
        raise NoteError("not a signed note: no blank line before the signatures")
    text, block = note[:at + 1], note[at + 2:]
    _check_text(text)
    sigs = []
    for line in block.decode("utf-8", "replace").splitlines(keepends=True):
        parts = line.rstrip("\n").split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise NoteError(f"not a signature line: {line.rstrip()!r}")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise NoteError(f"signature of {parts[1]}: not base64") from None
        if len(blob) < 5:
            raise NoteError(f"signature of {parts[1]}: too short")
        sigs.append(Signature(_check_name(parts[1]), blob[:4], blob[4:], line))
    if not sigs:
        raise NoteError("a signed note needs at least one signature")
    if len(sigs) > MAX_SIGNATURES:
        raise NoteError(f"{len(sigs)} signatures: more than {MAX_SIGNATURES}")
    return text, sigs


def verified(note: bytes, verifiers: list[Verifier]) -> tuple[bytes, dict[str, int | None]]:
    """(text, {name: timestamp or None}) of the signatures by known keys; unknown ones are
    ignored, a known one that fails raises, and so does a note no known key signed."""
    text, sigs = split(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    good: dict[str, int | None] = {}
    for sig in sigs:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is not None:
            good[sig.name] = verifier.check(text, sig.signature)
    if not good:
        raise NoteError("no signature by a known key")
    return text, good


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes  # 32 bytes

    def text(self) -> bytes:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n".encode()

    @classmethod
    def parse(cls, text: bytes) -> Checkpoint:
        _check_text(text)
        lines = text.decode().split("\n")[:-1]
        if len(lines) < 3 or any(not line for line in lines):
            raise NoteError("a checkpoint is origin, size and root hash, one per non-empty line")
        origin, size, root = lines[:3]
        if not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError(f"checkpoint size {size!r} is not a decimal without leading zeroes")
        try:
            digest = base64.b64decode(root, validate=True)
        except binascii.Error:
            digest = b""
        if len(digest) != 32:
            raise NoteError(f"checkpoint root {root!r} is not a base64 SHA-256 hash")
        return cls(origin, int(size), digest)


def signed_checkpoint(checkpoint: Checkpoint, log: NoteSigner) -> bytes:
    """The checkpoint as a signed note, signed by the log under its origin."""
    if log.name != checkpoint.origin:
        raise NoteError(f"the log's key name {log.name!r} is not the checkpoint's origin {checkpoint.origin!r}")
    text = checkpoint.text()
    return text + b"\n" + log.sign(text).encode()


def open_checkpoint(note: bytes, log: Verifier) -> tuple[Checkpoint, list[Signature]]:
    """The checkpoint of ``note`` after its log signature verifies, and all its signature lines."""
    if log.name == "":
        raise NoteError("no log key")
    text, sigs = split(note)
    checkpoint = Checkpoint.parse(text)
    if checkpoint.origin != log.name:
        raise NoteError(f"the checkpoint's origin {checkpoint.origin!r} is not the log {log.name!r}")
    verified(note, [log])
    return checkpoint, sigs


def cosignatures(text: bytes, sigs: list[Signature], witnesses: list[Verifier]) -> dict[str, int]:
    """{witness name: timestamp} of the valid cosignatures by ``witnesses`` on ``text`` (each
    witness counted once; unknown keys ignored; a known key whose signature fails raises)."""
    known = {(v.name, v.key_id): v for v in witnesses if v.sig_type == COSIGNATURE_V1}
    out: dict[str, int] = {}
    for sig in sigs:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is not None:
            out[sig.name] = verifier.check(text, sig.signature)
    return out
