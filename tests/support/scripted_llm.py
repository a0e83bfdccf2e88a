"""A scripted OpenAI-compatible chat server for tests: answers from a script, streams at a set
token rate, records every request and counts open streams so a disconnect can be seen.

Tests that assert what a client sees *while* the LLM is still answering hold the answers
instead of racing a token rate: `hold_after_tokens` stops every stream after that many
tokens until `release()`, and a reply's `start_when` keeps its first token back until a
condition holds. On a loaded machine the outcome is then the same as on an idle one.

Run it with `tests.support.live.serve_app(llm.app)`; point the SDK at `<url>/v1`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

# A crude BPE stand-in: words, short digit runs, single punctuation marks. It counts JSON
# punctuation one mark per token, so it overstates JSON a little compared with tiktoken.
_TOKEN = re.compile(r" ?[A-Za-z]+| ?\d{1,3}|\s+|[^\sA-Za-z\d]")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(tokenize(text))


@dataclass
class Reply:
    """One scripted answer. `status` other than 200 answers with an OpenAI-style error."""

    content: str = ""
    status: int = 200
    first_token_delay: float | None = None
    tokens_per_s: float | None = None
    finish_reason: str = "stop"
    # Polled before the first token: the answer starts only once this returns True.
    start_when: Callable[[], bool] | None = None


Responder = Callable[[dict[str, Any]], "Reply | str"]


class _ChatCompletions:
    """Raw ASGI so the stream can watch for the client's disconnect while it sends."""

    def __init__(self, llm: ScriptedLLM) -> None:
        self.llm = llm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload = json.loads(body)
        index, reply = self.llm._accept(payload)
        if self.llm._opened():
            reply = Reply("scripted server: too many requests at once", status=429)
        try:
            if reply.status != 200:
                await self._error(send, reply)
            elif payload.get("stream"):
                await self._stream(index, payload, reply, receive, send)
            else:
                await self._whole(index, payload, reply, send)
        finally:
            self.llm._closed()

    async def _error(self, send: Send, reply: Reply) -> None:
        body = json.dumps(
            {"error": {"message": reply.content or "scripted failure", "type": "server_error"}}
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"retry-after-ms", b"10")]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _whole(self, index: int, payload: dict[str, Any], reply: Reply, send: Send) -> None:
        await anyio.sleep(self.llm._delay(reply))
        body = {
            "id": f"chatcmpl-scripted-{index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": payload.get("model", "scripted"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content},
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": self.llm._usage(payload, reply),
        }
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})
        self.llm._finish(index)

    async def _stream(
        self, index: int, payload: dict[str, Any], reply: Reply, receive: Receive, send: Send
    ) -> None:
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                self.llm._disconnected()
                group.cancel_scope.cancel()

            group.start_soon(watch)
            try:
                await self._send_stream(index, payload, reply, send)
            except OSError:  # the client went away between two chunks
                self.llm._disconnected()
            group.cancel_scope.cancel()

    async def _send_stream(
        self, index: int, payload: dict[str, Any], reply: Reply, send: Send
    ) -> None:
        llm = self.llm
        model = payload.get("model", "scripted")

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
            data = {
                "id": f"chatcmpl-scripted-{index}",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            return b"data: " + json.dumps(data).encode() + b"\n\n"

        async def out(data: bytes) -> None:
            await send({"type": "http.response.body", "body": data, "more_body": True})

        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        tokens = tokenize(reply.content)
        per_chunk = llm.tokens_per_chunk
        llm._set_unsent(index, len(tokens))
        await anyio.sleep(llm._delay(reply) * llm._load_factor())
        while reply.start_when is not None and not reply.start_when():
            await anyio.sleep(0.01)
        await out(chunk({"role": "assistant", "content": ""}))
        rate = reply.tokens_per_s if reply.tokens_per_s is not None else llm.tokens_per_s
        hold = llm.hold_after_tokens
        for start in range(0, len(tokens), per_chunk):
            piece = tokens[start : start + per_chunk]
            await out(chunk({"content": "".join(piece)}))
            llm._set_unsent(index, len(tokens) - start - len(piece))
            if hold is not None and start < hold <= start + len(piece):
                await llm._hold(index)
            if rate:
                await anyio.sleep(len(piece) / rate * llm._load_factor())
        await out(chunk({}, reply.finish_reason))
        if (payload.get("stream_options") or {}).get("include_usage"):
            usage = chunk({}, None, usage=llm._usage(payload, reply))
            # The usage chunk has no choices, as OpenAI sends it.
            data = json.loads(usage[6:])
            data["choices"] = []
            await out(b"data: " + json.dumps(data).encode() + b"\n\n")
        await out(b"data: [DONE]\n\n")
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        llm._finish(index)


class ScriptedLLM:
    """The script is a queue of replies, then `responder(request_body)` when it is empty.

    Counters are read from the test's thread while the server runs in its own; a lock
    keeps them consistent.
    """

    def __init__(
        self,
        *replies: Reply | str,
        responder: Responder | None = None,
        tokens_per_s: float | None = None,
        first_token_delay: float = 0.0,
        tokens_per_chunk: int = 1,
        hold_after_tokens: int | None = None,
        load_knee: int | None = None,
        max_streams: int | None = None,
    ) -> None:
        self.replies: deque[Reply] = deque()
        self.script(*replies)
        self.responder = responder
        self.tokens_per_s = tokens_per_s
        self.first_token_delay = first_token_delay
        self.tokens_per_chunk = tokens_per_chunk
        self.hold_after_tokens = hold_after_tokens
        # A server that slows under load: past this many open streams, every stream runs
        # slower in proportion (its total throughput stays that of `load_knee` streams).
        self.load_knee = load_knee
        # A rate-limited server: a request that would make more than this many streams
        # open at once is answered 429 (counted in `turned_away`).
        self.max_streams = max_streams
        self.turned_away = 0
        # How many requests were open (this one included) as each request arrived.
        self.open_at_arrival: list[int] = []
        self.released = threading.Event()
        self.held: set[int] = set()  # streams waiting at `hold_after_tokens`
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.usages: list[dict[str, int]] = []
        self.open = 0
        self.max_open = 0
        self.opened = 0
        self.closed = 0
        self.disconnects = 0
        self.unsent: dict[int, int] = {}
        self.finished: set[int] = set()
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", _ChatCompletions(self), methods=["POST"]),
                Route("/v1/models", self._models),
            ]
        )

    def script(self, *replies: Reply | str) -> None:
        self.replies.extend(Reply(r) if isinstance(r, str) else r for r in replies)

    def release(self) -> None:
        """Let every held stream (and every later one) go on to its end."""
        self.released.set()

    def wait_held(self, count: int, timeout: float = 10) -> bool:
        """True once `count` streams are waiting at `hold_after_tokens`."""
        return self._wait(lambda: len(self.held) >= count, timeout)

    def _wait(self, condition: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if condition():
                    return True
            time.sleep(0.01)
        return False

    def wait_idle(self, timeout: float) -> bool:
        """True once no request is open (every stream finished or was closed)."""
        return self._wait(lambda: self.open == 0, timeout)

    @property
    def request_count(self) -> int:
        with self.lock:
            return len(self.requests)

    # -- called from the server thread -----------------------------------------------

    def _accept(self, payload: dict[str, Any]) -> tuple[int, Reply]:
        with self.lock:
            index = len(self.requests)
            self.requests.append(payload)
            reply: Reply | str
            if self.replies:
                reply = self.replies.popleft()
            elif self.responder is not None:
                reply = self.responder(payload)
            else:
                reply = Reply("scripted server: no reply left", status=400)
            return index, Reply(reply) if isinstance(reply, str) else reply

    def _opened(self) -> bool:
        """Count a request open; True when it is one too many (`max_streams`)."""
        with self.lock:
            self.open += 1
            self.opened += 1
            self.max_open = max(self.max_open, self.open)
            self.open_at_arrival.append(self.open)
            too_many = self.max_streams is not None and self.open > self.max_streams
            self.turned_away += too_many
            return too_many

    def _closed(self) -> None:
        with self.lock:
            self.open -= 1
            self.closed += 1

    def _disconnected(self) -> None:
        with self.lock:
            self.disconnects += 1

    def _set_unsent(self, index: int, tokens: int) -> None:
        with self.lock:
            self.unsent[index] = tokens

    async def _hold(self, index: int) -> None:
        with self.lock:
            self.held.add(index)
        try:
            while not self.released.is_set():
                await anyio.sleep(0.01)
        finally:
            with self.lock:
                self.held.discard(index)

    def _finish(self, index: int) -> None:
        with self.lock:
            self.finished.add(index)

    def _load_factor(self) -> float:
        if self.load_knee is None:
            return 1.0
        return max(1.0, self.open / self.load_knee)

    def _delay(self, reply: Reply) -> float:
        return (
            self.first_token_delay if reply.first_token_delay is None else reply.first_token_delay
        )

    def _usage(self, payload: dict[str, Any], reply: Reply) -> dict[str, int]:
        prompt = sum(count_tokens(str(m.get("content") or "")) for m in payload["messages"])
        completion = count_tokens(reply.content)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        with self.lock:
            self.usages.append(usage)
        return usage

    async def _models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "scripted", "object": "model"}]})
