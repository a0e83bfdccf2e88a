"""Encrypting provider credentials at rest (Fernet: AES-128-CBC with an HMAC)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from coach.errors import CoachError
from coach.settings import Settings


class SecretsError(CoachError, RuntimeError):
    pass


def _key_from_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # Created readable by the owner only; a key that others can read protects nothing.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


class CredentialBox:
    """Seals and opens credential dicts with the service's key."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError as exc:
            raise SecretsError(
                "COACH_SECRET_KEY must be a Fernet key (32 url-safe base64 bytes)"
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> CredentialBox:
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        return cls(_key_from_file(settings.secret_key_file))

    def seal(self, credentials: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(credentials).encode()).decode()

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            opened: dict[str, Any] = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken as exc:
            raise SecretsError("credentials were sealed with another key") from exc
        return opened
