"""Ed25519-signed tree heads (RFC 8032 signatures, via the `cryptography` library).

A tree head states "head number ``number`` of the log: it had ``size`` entries with Merkle root
``root`` at ``time``"; the signature covers its canonical JSON. Heads are numbered from 1 so
that a deleted head leaves a gap a verifier sees. The private key lives in a file of mode 600
(written atomically: temporary file, fsync, link into place, so two processes starting together
end with one key); the public key is exported as PEM and named by its fingerprint, the SHA-256
of its DER form, which anyone can compare out of band (a phone call, a printed letter).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vestige.ledger.chain import canonical_json

BAG_CONTEXT = b"vestige bag tag manifest v1\n"


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: str  # hex SHA-256
    time: str  # ISO 8601 UTC
    signature: str = ""  # base64
    number: int = 0  # 1, 2, 3 ... in the order heads were kept

    def signed_bytes(self) -> bytes:
        return canonical_json({"number": self.number, "root": self.root, "size": self.size, "time": self.time, "v": 2})

    def as_dict(self) -> dict:
        return {"number": self.number, "size": self.size, "root": self.root, "time": self.time,
                "signature": self.signature, "v": 2}

    @classmethod
    def from_dict(cls, d: dict) -> TreeHead:
        try:
            return cls(int(d["size"]), str(d["root"]), str(d["time"]), str(d["signature"]), int(d.get("number", 0)))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"not a tree head: {e}") from None


def write_secret(path: str | Path, data: bytes) -> bytes:
    """Write ``data`` to ``path`` (mode 600, its folder 700) unless the file exists; return what
    the file holds. Temporary file, fsync, then a hard link into place: no reader ever sees a
    half-written key, and of two processes starting together one wins and both use its key."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if p.exists():
        return p.read_bytes()
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, p)
        except FileExistsError:
            pass
        dfd = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    finally:
        os.unlink(tmp)
    return p.read_bytes()


def replace_secret(path: str | Path, data: bytes) -> None:
    """Replace the file at ``path`` with ``data`` atomically (temporary file, fsync, rename; mode 600)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        os.unlink(tmp)
        raise
    dfd = os.open(p.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def fingerprint(public_key: Ed25519PublicKey | bytes) -> str:
    """``SHA256:`` and the hex SHA-256 of the key's DER SubjectPublicKeyInfo, in groups of four."""
    if isinstance(public_key, bytes):
        public_key = serialization.load_pem_public_key(public_key)
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    h = hashlib.sha256(der).hexdigest()
    return "SHA256:" + ":".join(h[i:i + 4] for i in range(0, 64, 4))


class Signer:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes, where: str = "the key") -> Signer:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{where} is not a PEM private key: {e}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{where} is not an Ed25519 private key")
        return cls(key)

    @classmethod
    def load(cls, path: str | Path) -> Signer:
        p = Path(path)
        return cls.from_pem(p.read_bytes(), str(p))

    @classmethod
    def load_or_create(cls, path: str | Path) -> Signer:
        """The key at ``path`` (PEM, PKCS#8), created (see :func:`write_secret`) when absent."""
        pem = cls.generate().key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption())
        return cls.from_pem(write_secret(path, pem), str(path))

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, size: int, root: str, time: str, number: int = 0) -> TreeHead:
        head = TreeHead(size, root, time, number=number)
        return TreeHead(size, root, time, base64.b64encode(self.key.sign(head.signed_bytes())).decode(), number)

    def sign_raw(self, message: bytes) -> str:
        """A signature over ``message`` (which carries its own context line)."""
        return base64.b64encode(self.key.sign(message)).decode()

    def sign_bag(self, tag_manifest: bytes) -> str:
        """A signature over a bag's tag manifest (which covers its payload manifest)."""
        return base64.b64encode(self.key.sign(BAG_CONTEXT + tag_manifest)).decode()


def verify_tree_head(public_key: Ed25519PublicKey | bytes, head: TreeHead) -> bool:
    """True if ``head`` was signed by ``public_key`` (an object or PEM bytes) and is unaltered."""
    if isinstance(public_key, bytes):
        public_key = serialization.load_pem_public_key(public_key)
    try:
        public_key.verify(base64.b64decode(head.signature), head.signed_bytes())
        return True
    except (InvalidSignature, ValueError):
        return False
