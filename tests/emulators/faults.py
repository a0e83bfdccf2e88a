"""A fault switch for emulators: time out, fail with a status, or drop the connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

FaultKind = Literal["timeout", "status", "drop"]


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


class Faults:
    """Rules matched by method and path prefix, each used `times` times.

    - timeout: the change is committed, then the answer waits `hang_s` (past the client's
      timeout); `after_commit=False` hangs without committing.
    - status: answer `status` (default 502) without committing; `after_commit=True`
      commits first (Terra's 408 "push timed out" is like that).
    - drop: commit, then close the connection mid-answer.

    `retry_after` puts a Retry-After header on a status answer. `injected_at` holds when
    (monotonic seconds) each fault struck, for tests of the waits between attempts.
    """

    def __init__(self, hang_s: float = 1.5) -> None:
        self.hang_s = hang_s
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self.injected: list[tuple[str, str, str]] = []
        self.injected_at: list[float] = []

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
    ) -> None:
        commit = after_commit if after_commit is not None else kind != "status"
        with self._lock:
            self._rules.append(Fault(kind, method, path, times, status, commit, retry_after))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if (
                    rule.remaining > 0
                    and rule.method in (None, method)
                    and (rule.path is None or path.startswith(rule.path))
                ):
                    rule.remaining -= 1
                    self.injected.append((rule.kind, method, path))
                    self.injected_at.append(time.monotonic())
                    return rule
        return None

    async def run(
        self,
        request: Request,
        commit: Callable[[], Awaitable[Response]],
        error: Callable[[int, str], Response],
    ) -> Response:
        """Run a handler's `commit` under whatever fault is switched on for this request."""
        fault = self.take(request.method, request.url.path)
        if fault is None:
            return await commit()
        if not fault.after_commit:
            if fault.kind == "timeout":
                await anyio.sleep(self.hang_s)
                return error(504, "gateway timeout")
            return _with_retry_after(error(fault.status, "injected fault"), fault)
        response = await commit()
        if fault.kind == "timeout":
            await anyio.sleep(self.hang_s)
            return response
        if fault.kind == "drop":
            return DroppedResponse()
        return _with_retry_after(error(fault.status, "injected fault after commit"), fault)


def _with_retry_after(response: Response, fault: Fault) -> Response:
    if fault.retry_after is not None:
        response.headers["Retry-After"] = fault.retry_after
    return response


def json_error(body_key: str = "error") -> Callable[[int, str], JSONResponse]:
    def make(status: int, message: str) -> JSONResponse:
        return JSONResponse({body_key: message}, status_code=status)

    return make
