"""A fault switch for emulators: time out, fail with a status, drop the connection, answer
garbage, or hold a call until the test releases it."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

FaultKind = Literal["timeout", "status", "drop", "hold", "body"]


class ConnectionDropped(Exception):
    """Raised after the response started, so the server closes the socket mid-body."""


class DroppedResponse(Response):
    """Headers promise a body that never comes: the client sees a dropped connection."""

    def __init__(self) -> None:
        super().__init__()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        raise ConnectionDropped("emulated connection drop after commit")


@dataclass
class Fault:
    kind: FaultKind
    method: str | None
    path: str | None
    remaining: int
    status: int
    after_commit: bool
    retry_after: str | None
    message: str = "injected fault"
    header: tuple[str, str] | None = None
    body_contains: str | None = None
    body: bytes = b"{}"
    rate: float = 1.0  # the share of matching requests struck (random faults)

    def matches(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
        return (
            self.remaining > 0
            and self.method in (None, method)
            and (self.path is None or path.startswith(self.path))
            and (self.header is None or headers.get(self.header[0]) == self.header[1])
            and (self.body_contains is None or self.body_contains.encode() in body)
        )


class Faults:
    """Rules matched by method, path prefix, a header and a piece of the body, each used
    `times` times.

    - timeout: the change is committed, then the answer waits `hang_s` (past the client's
      timeout); `after_commit=False` hangs without committing.
    - status: answer `status` (default 502, body `message`) without committing;
      `after_commit=True` commits first (Terra's 408 "push timed out" is like that).
    - drop: commit, then close the connection mid-answer.
    - body: answer 200 with `body` (garbage) without committing; `after_commit=True`
      commits first.
    - hold: the call waits until `release()` (then commits and answers, or with
      `after_commit=True` commits at once and answers when released); `holding` counts
      the calls waiting.

    `retry_after` puts a Retry-After header on a status answer. `injected_at` holds when
    (monotonic seconds) each fault struck, for tests of the waits between attempts.
    `strike(rate, kinds, seed=...)` adds random faults: each matching request is struck
    with probability `rate`, by one of `kinds` (commits as each kind does by default).
    """

    def __init__(self, hang_s: float = 1.5) -> None:
        self.hang_s = hang_s
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.holding = 0
        self.held = 0
        self.injected: list[tuple[str, str, str]] = []
        self.injected_at: list[float] = []
        self._random: random.Random | None = None
        self._random_rules: list[tuple[float, tuple[FaultKind, ...], Fault]] = []

    def add(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        status: int = 502,
        after_commit: bool | None = None,
        retry_after: str | None = None,
        message: str | None = None,
        header: tuple[str, str] | None = None,
        body_contains: str | None = None,
        body: bytes = b"{}",
    ) -> None:
        commit = (
            after_commit if after_commit is not None else kind not in ("status", "body", "hold")
        )
        rule = Fault(
            kind,
            method,
            path,
            times,
            status,
            commit,
            retry_after,
            message or ("injected fault after commit" if commit else "injected fault"),
            header,
            body_contains,
            body,
        )
        with self._lock:
            self._rules.append(rule)
            if kind == "hold":
                self._released.clear()

    def strike(
        self,
        rate: float,
        kinds: tuple[FaultKind, ...],
        *,
        seed: int = 0,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Random faults on matching requests from now on (until `clear`)."""
        with self._lock:
            self._random = random.Random(seed)
            rule = Fault("status", method, path, 10**9, 502, False, None)
            self._random_rules.append((rate, kinds, rule))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._random_rules.clear()

    def release(self) -> None:
        """Let every held call (and any held from now on) go on."""
        with self._lock:
            for rule in self._rules:
                if rule.kind == "hold":
                    rule.remaining = 0
        self._released.set()

    def take(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Fault | None:
        headers = headers or {}
        with self._lock:
            chosen: Fault | None = None
            for rule in self._rules:
                if rule.matches(method, path, headers, body):
                    rule.remaining -= 1
                    chosen = rule
                    break
            if chosen is None and self._random is not None:
                for rate, kinds, rule in self._random_rules:
                    if rule.matches(method, path, headers, body) and self._random.random() < rate:
                        kind = self._random.choice(kinds)
                        chosen = Fault(
                            kind, method, path, 1, 502, kind in ("timeout", "drop"), None
                        )
                        break
            if chosen is not None:
                self.injected.append((chosen.kind, method, path))
                self.injected_at.append(time.monotonic())
            return chosen

    async def _hold(self) -> None:
        with self._lock:
            self.holding += 1
            self.held += 1
        try:
            while not self._released.is_set():
                await anyio.sleep(0.01)
        finally:
            with self._lock:
                self.holding -= 1

    async def run(
        self,
        request: Request,
        commit: Callable[[], Awaitable[Response]],
        error: Callable[[int, str], Response],
    ) -> Response:
        """Run a handler's `commit` under whatever fault is switched on for this request."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        fault = self.take(request.method, request.url.path, headers, await request.body())
        if fault is None:
            return await commit()
        if fault.kind == "hold":
            if fault.after_commit:
                response = await commit()
                await self._hold()
                return response
            await self._hold()
            return await commit()
        if not fault.after_commit:
            if fault.kind == "timeout":
                await anyio.sleep(self.hang_s)
                return error(504, "gateway timeout")
            if fault.kind == "body":
                return Response(fault.body, media_type="application/json")
            return _with_retry_after(error(fault.status, fault.message), fault)
        response = await commit()
        if fault.kind == "timeout":
            await anyio.sleep(self.hang_s)
            return response
        if fault.kind == "drop":
            return DroppedResponse()
        if fault.kind == "body":
            return Response(fault.body, media_type="application/json")
        return _with_retry_after(error(fault.status, fault.message), fault)


def _with_retry_after(response: Response, fault: Fault) -> Response:
    if fault.retry_after is not None:
        response.headers["Retry-After"] = fault.retry_after
    return response


def json_error(body_key: str = "error") -> Callable[[int, str], JSONResponse]:
    def make(status: int, message: str) -> JSONResponse:
        return JSONResponse({body_key: message}, status_code=status)

    return make
