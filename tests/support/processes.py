"""`coach serve` as a real process: for what only a process shows (its log lines, a crash
that leaves work half done, several processes on one database)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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


@contextmanager
def coach_serve(database_url: str, log_dir: Path, **settings: str) -> Iterator[ServeProcess]:
    """Run `coach serve` on a free port with `COACH_*` settings; stop it afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "COACH_DATABASE_URL": database_url,
        "COACH_PORT": str(port),
        **{f"COACH_{name.upper()}": value for name, value in settings.items()},
    }
    log_path = log_dir / f"coach-serve-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "coach.cli", "serve"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
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
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
