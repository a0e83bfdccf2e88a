"""Short-lived signed stream tokens: what lets a browser's EventSource, which cannot send
an Authorization header, follow one stream.

A token names one resource (a plan, a draft or a push job), the key that asked for it and
when it expires, signed with HMAC-SHA256. Issuing one writes nothing; checking one needs
no table of tokens. Revoking the key that minted a token ends the token too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from coach.errors import Unauthorized

Kind = Literal["plan", "draft", "job"]
_PREFIX = "st1"


@dataclass(frozen=True)
class StreamGrant:
    kind: Kind
    resource_id: str
    key_id: int
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class StreamTokens:
    def __init__(
        self, secret: bytes, *, ttl_s: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self.ttl_s = ttl_s
        self._clock = clock

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())

    def issue(self, kind: Kind, resource_id: str, key_id: int) -> tuple[str, float]:
        """A token for one resource; and when it expires (Unix seconds)."""
        expires_at = float(int(self._clock() + self.ttl_s))
        body = {"k": kind, "id": resource_id, "key": key_id, "exp": int(expires_at)}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{_PREFIX}.{payload}.{self._sign(payload)}", expires_at

    def verify(self, token: str) -> StreamGrant:
        """The grant a token carries; 401 when it is malformed, forged or expired."""
        prefix, _, rest = token.partition(".")
        payload, _, signature = rest.partition(".")
        if prefix != _PREFIX or not payload or not signature:
            raise Unauthorized("invalid stream token")
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise Unauthorized("invalid stream token")
        try:
            body = json.loads(_unb64(payload))
            grant = StreamGrant(body["k"], str(body["id"]), int(body["key"]), float(body["exp"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise Unauthorized("invalid stream token") from exc
        if grant.expires_at <= self._clock():
            raise Unauthorized("the stream token has expired; ask for a new one")
        return grant
