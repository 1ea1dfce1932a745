"""Ed25519-signed tree heads (RFC 8032 signatures, via the `cryptography` library).

A tree head states "the log had ``size`` entries with Merkle root ``root`` at ``time``"; the
signature covers its canonical JSON. The private key lives in a file of mode 600; the public
key is exported as PEM (for someone who has never installed Vestige to check the log).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vestige.ledger.chain import canonical_json


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: str  # hex SHA-256
    time: str  # ISO 8601 UTC
    signature: str = ""  # base64

    def signed_bytes(self) -> bytes:
        return canonical_json({"root": self.root, "size": self.size, "time": self.time, "v": 1})

    def as_dict(self) -> dict:
        return {"size": self.size, "root": self.root, "time": self.time, "signature": self.signature}


class Signer:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, path: str | Path) -> Signer:
        """The key at ``path`` (PEM, PKCS#8), created with mode 600 when absent."""
        p = Path(path)
        if p.exists():
            key = serialization.load_pem_private_key(p.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{p} is not an Ed25519 private key")
            return cls(key)
        signer = cls.generate()
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(signer.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
        return signer

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, size: int, root: str, time: str) -> TreeHead:
        head = TreeHead(size, root, time)
        return TreeHead(size, root, time, base64.b64encode(self.key.sign(head.signed_bytes())).decode())


def verify_tree_head(public_key: Ed25519PublicKey | bytes, head: TreeHead) -> bool:
    """True if ``head`` was signed by ``public_key`` (an object or PEM bytes) and is unaltered."""
    if isinstance(public_key, bytes):
        public_key = serialization.load_pem_public_key(public_key)
    try:
        public_key.verify(base64.b64decode(head.signature), head.signed_bytes())
        return True
    except (InvalidSignature, ValueError):
        return False
