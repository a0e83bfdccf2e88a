"""Making a provider adapter for a stored connection: credentials opened, thresholds given."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from coach.db.tables import AthleteRow, ConnectionRow
from coach.errors import CoachError
from coach.providers import registry
from coach.providers.base import Provider, ProviderContext, ProviderError, Thresholds
from coach.secrets import CredentialBox, SecretsError

log = logging.getLogger("coach.push")

_THRESHOLD_FIELDS = set(Thresholds.model_fields)
# Fields connections once stored that are the operator's now (provider endpoints).
_RETIRED_CREDENTIALS = ("base_url",)

UNREADABLE_CREDENTIALS = (
    "the connection's credentials cannot be decrypted: COACH_SECRET_KEY is not the key "
    "they were sealed with (restore that key, or reconnect the athlete)"
)


class ConnectionUnusable(CoachError):
    """The service cannot make an adapter for the connection (our message; the log has why)."""

    status = 502


def thresholds_of(athlete: AthleteRow | None) -> Thresholds | None:
    if athlete is None or not athlete.thresholds:
        return None
    return Thresholds(**{k: v for k, v in athlete.thresholds.items() if k in _THRESHOLD_FIELDS})


def adapter_for(
    connection: ConnectionRow,
    athlete: AthleteRow | None,
    *,
    box: CredentialBox,
    context: ProviderContext,
) -> Provider:
    """The connection's adapter. Raises SecretsError (another key sealed it), a
    ProviderError (e.g. the provider is not configured here), or ConnectionUnusable."""
    credentials: dict[str, Any] = box.open(connection.credentials_encrypted)
    for field in _RETIRED_CREDENTIALS:
        credentials.pop(field, None)  # the settings name the provider's host now
    try:
        return registry.create(
            connection.provider,
            credentials,
            connection.settings,
            context,
            thresholds=thresholds_of(athlete),
        )
    except (SecretsError, ProviderError):
        raise
    except ValidationError as exc:
        log.error("connection %s: stored credentials or settings: %s", connection.id, exc)
        raise ConnectionUnusable(
            f"the connection's stored credentials or settings do not fit {connection.provider} "
            "(reconnect the athlete)"
        ) from exc
    except Exception as exc:
        log.exception("connection %s: no adapter", connection.id)
        raise ConnectionUnusable(
            f"the service cannot use this {connection.provider} connection (see its log)"
        ) from exc


def unusable_reason(exc: Exception) -> str:
    """What a row made unpushable by its connection shows (never a provider's words)."""
    if isinstance(exc, SecretsError):
        return UNREADABLE_CREDENTIALS
    if isinstance(exc, CoachError):
        return exc.message
    return f"the service cannot use this connection ({type(exc).__name__}; see its log)"
