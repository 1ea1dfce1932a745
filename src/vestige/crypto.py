"""Field-level encryption for sensitive personal data: witness identities, family and donor
contacts, DNA profiles. Nothing of it is ever stored decrypted.

Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography` library) under a MultiFernet:
the first key encrypts, every listed key decrypts, so keys can be rotated (``vestige keys
rotate`` re-encrypts every value under the newest key; the older keys can then be dropped).

Each ciphertext is bound to its record and field: the plaintext starts with a context such as
``donor.contact:DON-0007``, inside the authenticated token, and :func:`decrypt` refuses a value
whose context is not the one asked for — so two donors' profiles swapped in the database fail
to decrypt instead of being read as each other's.

Keys, newest first: ``VESTIGE_FIELD_KEYS`` (comma-separated; ``VESTIGE_FIELD_KEY`` for one), or
the file ``VESTIGE_FIELD_KEY_FILE`` (one key per line), or — outside production only — the file
``$VESTIGE_HOME/keys/field.key``, created on first use. In production a key file inside
``$VESTIGE_HOME`` is refused: a backup of the database must not carry the key that opens it.
Losing every key loses the data: back the keys up apart from the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from vestige.errors import ConfigurationError, IntegrityFailure
from vestige.ledger.signing import write_secret

PREFIX = b"vestige:1\x00"


def context(kind: str, key: str) -> str:
    """The binding of one value: its kind (``donor.contact``) and its record's key (``DON-0007``)."""
    return f"{kind}:{key}"


def secret_file(path: str, variable: str, *, keep_apart: str, make: str) -> str:
    """The key file a setting names, resolved: in production refused inside VESTIGE_HOME (a key
    beside the data it protects protects nothing), and it must exist. The one check of every key
    file (field keys here, the ledger's signing key in :mod:`vestige.evidence.custody`)."""
    home = Path(settings.VESTIGE_HOME).resolve()
    p = Path(path).expanduser().resolve()
    if settings.PRODUCTION and (home == p or home in p.parents):
        raise ConfigurationError(f"{variable}={p} lies inside VESTIGE_HOME ({home}); keep {keep_apart}", field=variable)
    if not p.exists():
        raise ConfigurationError(f"{variable}={p}: no such file ({make})", field=variable)
    return str(p)


@dataclass(frozen=True)
class Secret:
    """Where one of Vestige's secrets may come from (the field-encryption keys, the ledger's
    signing key): the secret itself in an environment variable, a file named by a setting, or — in
    development only — a file created under ``VESTIGE_HOME/keys``."""

    inline: tuple[str, ...]  # environment variables that hold the secret itself, first set wins
    file_variable: str  # the setting that names a file holding it
    auto: str  # the development file's name under VESTIGE_HOME/keys
    keep_apart: str  # why the file must not lie inside VESTIGE_HOME
    make: str  # how to make one
    unset: str  # what production says when none is configured
    field: str  # the setting that error names


FIELD_KEYS = Secret(
    inline=("VESTIGE_FIELD_KEYS", "VESTIGE_FIELD_KEY"), file_variable="VESTIGE_FIELD_KEY_FILE", auto="field.key",
    keep_apart="the key apart from the database it opens", make="make one with `vestige keys new-field-key > FILE`",
    unset="VESTIGE_PRODUCTION is on but no field-encryption key is configured: set VESTIGE_FIELD_KEYS or "
          "VESTIGE_FIELD_KEY_FILE (outside VESTIGE_HOME); the key created automatically beside the database is "
          "for development only", field="VESTIGE_FIELD_KEYS")


def secret_source(secret: Secret, *, file_path: str | None = None) -> tuple[str, str]:
    """("inline", value), ("file", path) or ("auto", development path) of ``secret``, checked for
    production: the one place where every secret's source is decided. ``file_path``: the file
    setting's value when it is a Django setting rather than an environment variable."""
    for variable in secret.inline:
        value = os.environ.get(variable, "")
        if value:
            return "inline", value
    path = file_path if file_path is not None else os.environ.get(secret.file_variable, "")
    if path:
        return "file", secret_file(path, secret.file_variable, keep_apart=secret.keep_apart, make=secret.make)
    if settings.PRODUCTION:
        raise ConfigurationError(secret.unset, field=secret.field)
    return "auto", str(Path(settings.VESTIGE_HOME).resolve() / "keys" / secret.auto)


def key_source() -> tuple[str, str]:
    """Where the field-encryption keys come from (:func:`secret_source` of :data:`FIELD_KEYS`)."""
    return secret_source(FIELD_KEYS)


def _parse(text: str, where: str) -> list[Fernet]:
    keys = [k.strip() for k in text.replace(",", "\n").splitlines() if k.strip()]
    if not keys:
        raise ConfigurationError(f"{where}: no key", field="VESTIGE_FIELD_KEYS")
    out = []
    for n, k in enumerate(keys, 1):
        try:
            out.append(Fernet(k.encode()))
        except ValueError:
            raise ConfigurationError(f"{where}: key {n} is not a Fernet key (32 urlsafe base64 bytes)",
                                     field="VESTIGE_FIELD_KEYS") from None
    return out


@lru_cache(maxsize=8)
def _keys(kind: str, value: str, mtime: float) -> MultiFernet:
    if kind == "inline":
        return MultiFernet(_parse(value, "VESTIGE_FIELD_KEYS"))
    if kind == "auto":
        write_secret(value, Fernet.generate_key() + b"\n")
    return MultiFernet(_parse(Path(value).read_text(), value))


def keys() -> MultiFernet:
    kind, value = key_source()
    mtime = Path(value).stat().st_mtime if kind != "inline" and Path(value).exists() else 0.0
    return _keys(kind, value, mtime)


def encrypt(text: str, ctx: str) -> str:
    if not text:
        return ""
    return keys().encrypt(PREFIX + ctx.encode() + b"\x00" + text.encode()).decode()


def decrypt(token: str, ctx: str) -> str:
    if not token:
        return ""
    try:
        plain = keys().decrypt(token.encode())
    except InvalidToken:
        raise IntegrityFailure("an encrypted field cannot be read with these keys (wrong key or altered data)") from None
    if not plain.startswith(PREFIX):
        raise IntegrityFailure(f"the encrypted value of {ctx} is not bound to its record (written before binding); "
                               "run `vestige keys rotate`")
    bound, _sep, text = plain[len(PREFIX):].partition(b"\x00")
    if bound.decode() != ctx:
        raise IntegrityFailure(f"the encrypted value stored for {ctx} belongs to {bound.decode()}: it was moved or "
                               "swapped in the database")
    return text.decode()


def reencrypt(token: str, ctx: str) -> str:
    """The same value under the newest key, bound to ``ctx`` (binding an unbound legacy value)."""
    if not token:
        return ""
    try:
        plain = keys().decrypt(token.encode())
    except InvalidToken:
        raise IntegrityFailure(f"{ctx}: cannot be read with these keys") from None
    if plain.startswith(PREFIX):
        decrypt(token, ctx)  # refuses a swapped value rather than re-binding it to the wrong record
        return keys().rotate(token.encode()).decode()
    return encrypt(plain.decode(), ctx)
