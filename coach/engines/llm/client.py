"""Build the AsyncOpenAI client from settings and turn its failures into EngineError."""

from __future__ import annotations

import httpx2
import openai

from coach.engines.base import EngineError
from coach.settings import Settings

# Local servers (llama.cpp, vLLM, Ollama) ignore the key, but the SDK insists on one.
_NO_KEY = "not-needed"


def make_client(settings: Settings) -> openai.AsyncOpenAI:
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else _NO_KEY
    return openai.AsyncOpenAI(
        base_url=settings.llm_base_url,
        api_key=key,
        max_retries=settings.llm_max_retries,
        # The read timeout bounds the gap between two streamed chunks, not the whole
        # answer; a dead server is noticed after the connect timeout.
        timeout=httpx2.Timeout(settings.llm_timeout_s, connect=min(5.0, settings.llm_timeout_s)),
    )


def transport_error(exc: openai.OpenAIError, base_url: str) -> EngineError:
    """A clear message for an LLM server that is down, failing or too slow."""
    if isinstance(exc, openai.APITimeoutError):
        message = f"the LLM server at {base_url} timed out"
    elif isinstance(exc, openai.APIConnectionError):
        message = f"cannot reach the LLM server at {base_url}"
    elif isinstance(exc, openai.APIStatusError):
        message = f"the LLM server at {base_url} answered HTTP {exc.status_code}: {exc.message}"
    else:
        message = f"the LLM request failed: {exc}"
    return EngineError(message)
