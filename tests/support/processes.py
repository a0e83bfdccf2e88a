"""`coach serve` as a real process: for what only a process shows (its log lines, a crash
that leaves work half done, several processes on one database)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2


@dataclass
class ServeProcess:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process ends at once, with nothing cleaned up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(
    command: Sequence[str], database_url: str, log_path: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "coach.cli", *command],
            env={**os.environ, "COACH_DATABASE_URL": database_url, **env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _env(settings: dict[str, str]) -> dict[str, str]:
    return {f"COACH_{name.upper()}": value for name, value in settings.items()}


@contextmanager
def coach_serve(
    database_url: str, log_dir: Path, *args: str, **settings: str
) -> Iterator[ServeProcess]:
    """Run `coach serve [args]` on a free port with `COACH_*` settings; stop it afterwards."""
    port = free_port()
    log_path = log_dir / f"coach-serve-{port}.log"
    env = {"COACH_PORT": str(port), **_env(settings)}
    process = _start(["serve", *args], database_url, log_path, env)
    served = ServeProcess(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"coach serve exited: {served.log()}")
            try:
                if httpx2.get(f"{served.base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"coach serve did not start: {served.log()}")
            time.sleep(0.1)
        yield served
    finally:
        _stop(process)


@contextmanager
def coach_worker(database_url: str, log_dir: Path, **settings: str) -> Iterator[ServeProcess]:
    """Run `coach worker` (the push worker alone) until it says it started; stop it
    afterwards. Its `base_url` is empty: it serves no HTTP."""
    log_path = log_dir / f"coach-worker-{uuid.uuid4().hex[:8]}.log"
    process = _start(["worker"], database_url, log_path, _env(settings))
    worker = ServeProcess("", process, log_path)
    try:
        deadline = time.monotonic() + 60
        while "push worker started" not in worker.log():
            if process.poll() is not None:
                raise RuntimeError(f"coach worker exited: {worker.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"coach worker did not start: {worker.log()}")
            time.sleep(0.1)
        yield worker
    finally:
        _stop(process)
