"""A real uvicorn server on a loopback port running the app in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx2
import uvicorn
from starlette.types import ASGIApp

from coach.app import create_app
from coach.db.database import Database
from coach.db.migrate import upgrade
from coach.settings import Settings


@dataclass
class LiveServer:
    base_url: str
    settings: Settings
    db: Database

    def client(self, key: str | None = None, **headers: str) -> httpx2.Client:
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return httpx2.Client(base_url=self.base_url, headers=headers, timeout=30)


def loopback_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1, for serve_app."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # uvicorn only sets TCP_NODELAY on sockets it creates; without it each response waits
    # ~40 ms on Nagle's algorithm.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def base_url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serve_app(app: ASGIApp, sock: socket.socket | None = None) -> Iterator[str]:
    """Run any ASGI app (ours or an emulator) on 127.0.0.1 and yield its base URL."""
    sock = sock or loopback_socket()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield base_url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    sock = loopback_socket()
    if settings.public_url is None:
        # Links the service hands out point at this server, as they would in production.
        settings = settings.model_copy(update={"public_url": base_url_of(sock)})
    try:
        with serve_app(create_app(settings), sock) as base_url:
            yield LiveServer(base_url=base_url, settings=settings, db=db)
    finally:
        db.dispose()
