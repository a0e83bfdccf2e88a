"""Making a provider adapter for a stored connection: credentials opened, thresholds given."""

from __future__ import annotations

from typing import Any

from coach.db.tables import AthleteRow, ConnectionRow
from coach.providers import registry
from coach.providers.base import Provider, ProviderContext, Thresholds
from coach.secrets import CredentialBox

_THRESHOLD_FIELDS = set(Thresholds.model_fields)


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
    credentials: dict[str, Any] = box.open(connection.credentials_encrypted)
    return registry.create(
        connection.provider,
        credentials,
        connection.settings,
        context,
        thresholds=thresholds_of(athlete),
    )
