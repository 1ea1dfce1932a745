"""The keys of a Vestige installation: rotation of the field-encryption keys, a new ledger key.

:data:`SEALED` lists every encrypted field with the context that binds it (:mod:`vestige.crypto`);
``vestige keys rotate`` re-encrypts each value under the newest key in one transaction, so
after it the older keys can be removed. The only writer of encrypted columns outside the
services that create them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from django.db import transaction

from vestige import crypto
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import ConfigurationError, Conflict
from vestige.ledger import Signer
from vestige.ledger.signing import replace_secret


@dataclass(frozen=True)
class Sealed:
    model: str  # app_label.ModelName
    field: str
    kind: str  # the context kind
    key: str  # the field (may cross a relation, as donor__code) naming the record


SEALED = (
    Sealed("missing.Family", "contact_encrypted", "family.contact", "ref"),
    Sealed("missing.Donor", "contact_encrypted", "donor.contact", "code"),
    Sealed("missing.ReferenceProfile", "profile_encrypted", "reference.profile", "donor__code"),
    Sealed("identification.RemainsSample", "profile_encrypted", "sample.profile", "code"),
    Sealed("claims.Witness", "identity_encrypted", "witness.identity", "code"),
)


def rotate(actor, *, new_key: bool = True) -> dict[str, int]:
    """Put a new key first (when the keys live in a file) and re-encrypt every value under the
    first key; {field: values re-encrypted}. With keys in the environment, put the new key first
    in ``VESTIGE_FIELD_KEYS`` yourself and run this with ``new_key=False``."""
    require(actor, Cap.ACCOUNTS_MANAGE)
    kind, where = crypto.key_source()
    if new_key:
        if kind == "inline":
            raise ConfigurationError("the keys come from VESTIGE_FIELD_KEYS: put a new key (vestige keys "
                                     "new-field-key) first in it, then run `vestige keys rotate --reencrypt-only`",
                                     field="VESTIGE_FIELD_KEYS")
        crypto.keys()  # creates the development key file if it is not there yet
        old = Path(where).read_text()
        replace_secret(where, Fernet.generate_key() + b"\n" + old.encode())
    return reencrypt_all()


@transaction.atomic
def reencrypt_all() -> dict[str, int]:
    from django.apps import apps

    counts = {}
    for s in SEALED:
        model = apps.get_model(s.model)
        n = 0
        for pk, key, token in model.objects.exclude(**{s.field: ""}).values_list("pk", s.key, s.field).iterator():
            model.objects.filter(pk=pk).update(**{s.field: crypto.reencrypt(token, crypto.context(s.kind, key))})
            n += 1
        counts[f"{s.model}.{s.field}"] = n
    return counts


def new_field_key() -> str:
    return Fernet.generate_key().decode()


def new_ledger_key(path: str | Path) -> str:
    """Create a ledger signing key file (refused if one is there); its public fingerprint."""

    p = Path(path)
    if p.exists():
        raise Conflict(f"{p} exists; a ledger key is never overwritten")
    return Signer.load_or_create(p).fingerprint()
