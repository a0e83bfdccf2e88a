"""Shared helpers for the benches: the service as a separate process on loopback (temp SQLite
database, `COACH_*` environment, a demo tenant), the scripted LLM server, /proc readings.

Importing this module puts the repository root on `sys.path`, so the benches can use the
scripted OpenAI-compatible server and the answer helpers of `tests/`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx2  # noqa: E402

PYTHON = sys.executable


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    base_url: str
    pid: int
    database: Path
    organization_id: int
    coach_key: str
    log: Path

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.coach_key}"}

    def body(self, **fields: Any) -> dict[str, Any]:
        return {
            "experience_level": "intermediate",
            "organization_id": self.organization_id,
            **fields,
        }


def _env(database: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    env.update(
        {
            "COACH_DATABASE_URL": f"sqlite:///{database}",
            "COACH_LOG_LEVEL": "warning",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


@contextmanager
def service(*serve_args: str, **coach_env: str) -> Iterator[Service]:
    """`python -m coach.cli serve [serve_args]` in its own process, with `COACH_<KEY>=value`
    for each keyword (e.g. `ENGINE="openai"`), a fresh SQLite database and a demo tenant."""
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        database = Path(tmp) / "coach.db"
        env = _env(database, {f"COACH_{k.upper()}": v for k, v in coach_env.items()})
        demo = subprocess.run(
            [PYTHON, "-m", "coach.cli", "init-demo", "--json"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        tenant = json.loads(demo.stdout.strip().splitlines()[-1])
        port = free_port()
        log = Path(tmp) / "serve.log"
        with log.open("w") as log_file:
            process = subprocess.Popen(
                [
                    *(PYTHON, "-m", "coach.cli", "serve"),
                    *("--host", "127.0.0.1", "--port", str(port), *serve_args),
                ],
                env=env,
                cwd=tmp,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base_url, process, log)
            yield Service(
                base_url,
                process.pid,
                database,
                int(tenant["organization_id"]),
                tenant["coach_key"],
                log,
            )
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx2.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the service did not start:\n{log.read_text()[-3000:]}")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in MB, and open file descriptors, from /proc."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) // 1024
        values["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        pass
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's worker processes), from /proc."""
    pids, index = [pid], 0
    while index < len(pids):
        current = pids[index]
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        pids.extend(int(child) for child in children)
        index += 1
    return pids


def tree_rss_kb(pid: int) -> int:
    """Resident memory of `pid` and its descendants, KiB."""
    total = 0
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` and its descendants."""
    return sum(
        value
        for value in (cpu_seconds(member) for member in process_tree(pid))
        if value == value  # not NaN (a process that just ended)
    )
