"""`create_app(settings)`: the Starlette application with its routes, middleware and lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
import httpx2
from starlette.applications import Starlette
from starlette.middleware import Middleware

from coach.api import (
    athletes,
    generation,
    health,
    oauth,
    planned_workouts,
    principles,
    push_jobs,
    streams,
    workouts,
)
from coach.api.endpoint import AnyEndpoint
from coach.api.errors import HANDLERS, UnexpectedErrorMiddleware
from coach.api.middleware import RequestIdMiddleware
from coach.api.openapi import openapi_endpoint
from coach.api.routing import route
from coach.db.database import Database
from coach.engines import registry as engines
from coach.generation.runs import Runner
from coach.principles import load_builtin
from coach.providers.aiendurance import AIEnduranceApp
from coach.providers.base import ProviderContext
from coach.providers.limiter import MemoryLimiterStore
from coach.push.worker import PushWorker
from coach.secrets import CredentialBox
from coach.services import Services
from coach.settings import Settings
from coach.streaming.broker import PlanBroker

log = logging.getLogger("coach.app")


def all_endpoints() -> list[AnyEndpoint]:
    return [
        *health.ENDPOINTS,
        *principles.ENDPOINTS,
        *generation.ENDPOINTS,
        *streams.ENDPOINTS,
        *workouts.ENDPOINTS,
        *athletes.ENDPOINTS,
        *planned_workouts.ENDPOINTS,
        *push_jobs.ENDPOINTS,
        *oauth.ENDPOINTS,
    ]


def provider_context(settings: Settings) -> ProviderContext:
    """One HTTP client for every adapter, the providers' endpoints (operator settings, never
    a connection's), the process's rate limiters by provider account, the longest an
    adapter may wait for a slot, and the service's own OAuth apps."""
    apps = {}
    if (
        settings.aiendurance_client_id
        and settings.aiendurance_client_secret
        and settings.aiendurance_redirect_uri
    ):
        apps["aiendurance"] = AIEnduranceApp(
            client_id=settings.aiendurance_client_id,
            client_secret=settings.aiendurance_client_secret.get_secret_value(),
            redirect_uri=settings.aiendurance_redirect_uri,
            authorize_url=settings.aiendurance_authorize_url,
            api_base=settings.aiendurance_api_base,
        )
    return ProviderContext(
        http=httpx2.AsyncClient(timeout=settings.provider_timeout_s),
        timeout_s=settings.provider_timeout_s,
        apps=apps,
        endpoints={"terra": settings.terra_base_url, "shape": settings.shape_base_url},
        limiters=MemoryLimiterStore(),
        max_wait_s=settings.push_hold_max_s,
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    endpoints = all_endpoints()
    endpoints.append(openapi_endpoint(endpoints))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Fail at start-up, not on the first request, when a principle file is broken.
        load_builtin(settings.principles_dir)
        engine = await engines.create(settings.engine, settings)
        db = Database(settings.database_url)
        broker = PlanBroker(
            keep_seconds=settings.stream_replay_keep_s,
            max_finished=settings.stream_replay_max_plans,
        )
        log.info(
            "engine %s, database %s",
            settings.engine,
            db.engine.url.render_as_string(hide_password=True),
        )
        services: Services | None = None
        try:
            # Generations and the push worker run in this task group: a generation outlives
            # the request that started it, and shutting down ends them all.
            async with anyio.create_task_group() as tasks:
                services = Services(
                    settings=settings,
                    db=db,
                    engine=engine,
                    box=CredentialBox.from_settings(settings),
                    provider_context=provider_context(settings),
                    runner=Runner(db=db, engine=engine, broker=broker, tasks=tasks),
                )
                app.state.services = services
                if settings.push_worker:
                    worker = PushWorker(
                        settings, services.db, services.box, services.provider_context
                    )
                    tasks.start_soon(worker.run)
                yield
                tasks.cancel_scope.cancel()
        finally:
            if services is not None:
                await services.aclose()
            else:
                await engine.aclose()
                db.dispose()

    routes = [route(e) for e in endpoints]
    return Starlette(
        routes=routes,
        middleware=[Middleware(RequestIdMiddleware), Middleware(UnexpectedErrorMiddleware)],
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
