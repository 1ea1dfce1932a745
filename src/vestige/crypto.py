"""Field-level encryption for sensitive personal data (witness identities; later family contacts
and DNA profiles).

Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography` library). The key comes from
``VESTIGE_FIELD_KEY`` (a urlsafe base64 Fernet key) or from ``$VESTIGE_HOME/keys/field.key``,
created with mode 600 on first use. Losing the key loses the data: back it up apart from the
database.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from vestige.errors import ConfigurationError, IntegrityFailure


@lru_cache(maxsize=4)
def _fernet(home: str, env_key: str) -> Fernet:
    if env_key:
        try:
            return Fernet(env_key.encode())
        except ValueError:
            raise ConfigurationError("VESTIGE_FIELD_KEY is not a valid Fernet key (32 urlsafe base64 bytes)",
                                     field="VESTIGE_FIELD_KEY") from None
    path = Path(home) / "keys" / "field.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


def fernet() -> Fernet:
    return _fernet(str(settings.VESTIGE_HOME), os.environ.get("VESTIGE_FIELD_KEY", ""))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise IntegrityFailure("an encrypted field cannot be read with this key (wrong key or altered data)") from None
