"""What handlers share for the life of the app: settings, database, engine, providers,
and the runner of generations."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
from pydantic import BaseModel
from sqlmodel import Session
from starlette.requests import Request

from coach.db.database import Database
from coach.db.tables import AthleteRow, ConnectionRow
from coach.engines.base import PlanEngine
from coach.generation.runs import Runner
from coach.providers.base import Provider, ProviderContext
from coach.push.adapters import adapter_for
from coach.quotas import Quotas
from coach.secrets import CredentialBox
from coach.settings import Settings
from coach.tokens import StreamTokens


@dataclass
class Services:
    settings: Settings
    db: Database
    engine: PlanEngine
    box: CredentialBox
    provider_context: ProviderContext
    runner: Runner
    quotas: Quotas
    stream_tokens: StreamTokens
    # Set by sse-starlette when the server shuts down (its streams end with `reconnect`).
    shutdown: anyio.Event = field(default_factory=anyio.Event)

    def adapter(self, connection: ConnectionRow, athlete: AthleteRow | None) -> Provider:
        """The connection's adapter; tokens it refreshes are sealed onto the connection at
        once (the provider has already invalidated the old refresh token)."""
        adapter = adapter_for(connection, athlete, box=self.box, context=self.provider_context)
        if hasattr(adapter, "on_refresh"):
            connection_id = connection.id

            async def save(credentials: BaseModel) -> None:
                sealed = self.box.seal(credentials.model_dump(mode="json"))

                def store(session: Session) -> None:
                    row = session.get(ConnectionRow, connection_id)
                    if row is not None:
                        row.credentials_encrypted = sealed
                        session.add(row)

                await self.db.run(store)

            adapter.on_refresh = save
        return adapter

    async def aclose(self) -> None:
        await self.engine.aclose()
        await self.runner.broker.aclose()
        if self.provider_context.http is not None:
            await self.provider_context.http.aclose()
        self.db.dispose()


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
