"""`create_app(settings)`: the Starlette application with its routes, middleware and lifespan."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
from collections.abc import AsyncIterator

import anyio
import anyio.to_thread
import httpx2
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from coach.api import (
    assignments,
    athletes,
    detached,
    editor,
    generation,
    health,
    keys,
    lists,
    oauth,
    plan_edits,
    plan_preview,
    planned_workouts,
    principles,
    push_jobs,
    regenerate,
    stream_tokens,
    streams,
    workouts,
)
from coach.api.endpoint import AnyEndpoint
from coach.api.errors import HANDLERS, UnexpectedErrorMiddleware
from coach.api.middleware import RequestIdMiddleware
from coach.api.openapi import openapi_endpoint
from coach.api.routing import routes
from coach.db.database import Database
from coach.engines import registry as engines
from coach.gc_tuning import tune_for_streams
from coach.generation.runs import Runner
from coach.mcp.http import McpOverHttp
from coach.principles import load_builtin
from coach.providers.aiendurance import AIEnduranceApp
from coach.providers.base import ProviderContext
from coach.providers.limiter import MemoryLimiterStore
from coach.providers.redis_limiter import RedisLimiterStore
from coach.push.worker import PushWorker
from coach.quotas import Limits, LocalQuotas, Quotas
from coach.redis_client import commands_client, readers_client
from coach.redis_quotas import RedisQuotas
from coach.redis_slots import RedisSlots
from coach.secrets import service_box
from coach.services import Services
from coach.settings import Settings
from coach.streaming.broker import Broker, LocalBroker
from coach.streaming.redis_broker import RedisBroker
from coach.tokens import StreamTokens
from coach.web.pages import editor_assets

log = logging.getLogger("coach.app")


def all_endpoints() -> list[AnyEndpoint]:
    return [
        *health.ENDPOINTS,
        *editor.ENDPOINTS,
        *principles.ENDPOINTS,
        *generation.ENDPOINTS,
        *detached.ENDPOINTS,
        *plan_edits.ENDPOINTS,
        *lists.ENDPOINTS,
        *streams.ENDPOINTS,
        *stream_tokens.ENDPOINTS,
        *workouts.ENDPOINTS,
        *athletes.ENDPOINTS,
        *planned_workouts.ENDPOINTS,
        *push_jobs.ENDPOINTS,
        *plan_preview.ENDPOINTS,
        *assignments.ENDPOINTS,
        *regenerate.ENDPOINTS,
        *oauth.ENDPOINTS,
        *keys.ENDPOINTS,
    ]


def provider_context(settings: Settings, redis: Redis | None = None) -> ProviderContext:
    """One HTTP client for every adapter, the providers' endpoints (operator settings, never
    a connection's), the rate limiters by provider account (in Redis when there is one,
    shared by every process; else this process's), the longest an adapter may wait for a
    slot, and the service's own OAuth apps."""
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
        limiters=(
            RedisLimiterStore(redis, settings.redis_prefix)
            if redis is not None
            else MemoryLimiterStore()
        ),
        max_wait_s=settings.push_hold_max_s,
    )


def make_redis(settings: Settings) -> Redis | None:
    """The deployment's Redis (several processes share it), or None (one process)."""
    return commands_client(settings) if settings.redis_url else None


def make_broker(settings: Settings, redis: Redis | None) -> Broker:
    """Redis Streams when there is a Redis (several processes), else this process's."""
    if redis is not None:
        return RedisBroker(
            redis,
            readers=readers_client(settings),
            prefix=settings.redis_prefix,
            keep_seconds=settings.stream_replay_keep_s,
            max_finished=settings.stream_replay_max_plans,
            max_events=settings.stream_log_max_events,
        )
    return LocalBroker(
        keep_seconds=settings.stream_replay_keep_s,
        max_finished=settings.stream_replay_max_plans,
    )


def make_quotas(settings: Settings, redis: Redis | None) -> Quotas:
    """Per-organization limits: counted in Redis for every process, else in this one."""
    limits = Limits(
        generations=settings.org_max_generations,
        streams=settings.org_max_streams,
        retry_after_s=settings.org_retry_after_s,
    )
    if redis is not None:
        slots = RedisSlots(redis, lease_s=settings.redis_lease_s)
        return RedisQuotas(slots, limits, prefix=settings.redis_prefix)
    return LocalQuotas(limits)


async def _end_streams_on_shutdown(services: Services) -> None:
    """When the server starts shutting down, every follower's stream ends with
    `reconnect` (sse-starlette sets the event; coach.api.sse sends the event)."""
    await services.shutdown.wait()
    services.runner.broker.close_followers()


def cors(settings: Settings) -> list[Middleware]:
    """Browser pages of the configured origins may call the API; outermost, so preflights
    and error answers carry the headers too. No origins, no CORS."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Last-Event-ID",
                "X-Request-ID",
            ],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID", "Last-Event-ID"],
            max_age=600,
        )
    ]


@contextlib.asynccontextmanager
async def running_services(settings: Settings) -> AsyncIterator[Services]:
    """The service's engine, database, broker, runner and push worker, for as long as the
    block runs; then generations get their grace period and everything is closed. The
    HTTP app's lifespan and `coach mcp` (stdio) both run in one."""
    # Fail at start-up, not on the first request, when a principle file is broken.
    load_builtin(settings.principles_dir)
    engine = await engines.create(settings.engine, settings)
    db = Database(settings.database_url)
    redis = make_redis(settings)
    broker = make_broker(settings, redis)
    log.info(
        "engine %s, database %s",
        settings.engine,
        db.engine.url.render_as_string(hide_password=True),
    )
    quotas = make_quotas(settings, redis)
    services: Services | None = None
    try:
        # Refuses to start with a key that cannot open the stored credentials.
        box = await anyio.to_thread.run_sync(service_box, settings, db)
        # Generations and the push worker run in this task group: a generation outlives
        # the request that started it, and shutting down ends them all.
        async with anyio.create_task_group() as tasks:
            if isinstance(broker, RedisBroker):
                broker.attach(tasks)
            services = Services(
                settings=settings,
                db=db,
                engine=engine,
                box=box,
                provider_context=provider_context(settings, redis),
                runner=Runner(db=db, engine=engine, broker=broker, tasks=tasks, quotas=quotas),
                quotas=quotas,
                stream_tokens=StreamTokens(
                    settings.stream_token_secret.get_secret_value().encode()
                    if settings.stream_token_secret
                    else box.derive("stream-tokens"),
                    ttl_s=settings.stream_token_ttl_s,
                ),
            )
            tasks.start_soon(
                functools.partial(
                    services.runner.keep_alive,
                    interval_s=settings.plan_heartbeat_s,
                    stale_after_s=settings.plan_stale_after_s,
                )
            )
            if settings.push_worker:
                worker = PushWorker(settings, services.db, services.box, services.provider_context)
                tasks.start_soon(worker.run)
            if isinstance(quotas, RedisQuotas):
                tasks.start_soon(quotas.slots.run)
            tasks.start_soon(engine.serve)
            tasks.start_soon(_end_streams_on_shutdown, services)
            yield services
            # Runs still generating get the grace period to finish (their followers
            # were sent `reconnect` and resume on another process), then are cancelled.
            with anyio.move_on_after(settings.shutdown_grace_s):
                for run in list(services.runner.active.values()):
                    await run.finished.wait()
            tasks.cancel_scope.cancel()
    finally:
        if services is not None:
            await services.aclose()
        else:
            await engine.aclose()
            await broker.aclose()
            db.dispose()


def app_from_environment() -> Starlette:
    """The app of one of `coach serve --workers N`'s processes, from the environment."""
    settings = Settings()
    app = create_app(settings)
    tune_for_streams(settings.gc_young_threshold)
    return app


async def run_push_worker(settings: Settings) -> None:
    """`coach worker`: the push worker alone, no HTTP, until SIGTERM or SIGINT. Several
    may run beside the web processes (COACH_PUSH_WORKER=false there) on one database."""
    db = Database(settings.database_url)
    redis = make_redis(settings)
    context = provider_context(settings, redis)
    try:
        box = await anyio.to_thread.run_sync(service_box, settings, db)
        worker = PushWorker(settings, db, box, context)
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(worker.run)
                log.info("push worker started (pid %d)", os.getpid())
                async for received in signals:
                    log.info("%s: the push worker stops", signal.Signals(received).name)
                    tasks.cancel_scope.cancel()
                    break
    finally:
        if context.http is not None:
            await context.http.aclose()
        if redis is not None:
            await redis.aclose()
        db.dispose()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    endpoints = all_endpoints()
    endpoints.append(openapi_endpoint(endpoints))
    mcp = McpOverHttp(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running_services(settings) as services, mcp.running():
            app.state.services = services
            yield

    return Starlette(
        routes=[*routes(endpoints), mcp.route(), editor_assets()],
        middleware=[
            *cors(settings),
            Middleware(RequestIdMiddleware),
            Middleware(UnexpectedErrorMiddleware),
        ],
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
