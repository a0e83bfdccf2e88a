"""A fake clock shared by an adapter and an emulator: time moves only when someone sleeps."""

from __future__ import annotations

import threading

import anyio


class FakeClock:
    """Monotonic and wall time for tests; `sleep` advances time instead of waiting.

    The emulator reads it from its server thread, the adapter sleeps on it in the test's
    event loop, so an hour of rate limiting passes in milliseconds.
    """

    def __init__(self, start: float = 10_000.0, wall_start: float = 1_800_000_000.0) -> None:
        self._start = start
        self._t = start
        self._wall_start = wall_start
        self._lock = threading.Lock()
        self.slept = 0.0

    def now(self) -> float:
        return self._t

    def wall(self) -> float:
        return self._wall_start + (self._t - self._start)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += max(0.0, seconds)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        self.slept += max(0.0, seconds)
        await anyio.sleep(0)  # still a checkpoint, as a real sleep would be
