"""The service's error types; `coach.api.errors` maps them to HTTP in one place."""

from __future__ import annotations

from typing import Any


class CoachError(Exception):
    """An error a client sees as `{"error": message, "details": [...]}` with `status`."""

    status = 500

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


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


class PayloadTooLarge(CoachError):
    status = 413


class GenerationFailed(CoachError):
    status = 500
