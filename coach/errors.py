"""The service's error types; `coach.api.errors` maps them to HTTP in one place."""

from __future__ import annotations

import math
from typing import Any


class CoachError(Exception):
    """An error a client sees as `{"error": message, "details": [...]}` with `status`."""

    status = 500

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    @property
    def headers(self) -> dict[str, str]:
        """Response headers the error's answer carries (none by default)."""
        return {}


class BadRequest(CoachError):
    status = 400

    @classmethod
    def field(cls, field: str, message: str) -> BadRequest:
        return cls(f"invalid {field}: {message}", [{"field": field, "message": message}])


class Unauthorized(CoachError):
    status = 401


class Forbidden(CoachError):
    status = 403


class NotFound(CoachError):
    status = 404


class Conflict(CoachError):
    """The resource is not in a state that allows the request (a plan still generating)."""

    status = 409


class PreconditionFailed(CoachError):
    """The request's `If-Match` names a revision that is no longer the current one."""

    status = 412


class PreconditionRequired(CoachError):
    """A write that must name the revision it edits (`If-Match`) did not."""

    status = 428


class PayloadTooLarge(CoachError):
    status = 413


class GenerationFailed(CoachError):
    status = 500


class TooManyRequests(CoachError):
    """A limit of the caller's organization is reached; `retry_after` says when to retry."""

    status = 429

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(self.retry_after_s)))}
