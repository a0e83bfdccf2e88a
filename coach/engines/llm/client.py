"""Build the AsyncOpenAI client from settings and turn its failures into EngineError."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import httpx2
import openai

from coach.engines.base import EngineError
from coach.settings import Settings

log = logging.getLogger(__name__)

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
    """A short message of ours for an LLM server that is down, failing or too slow.

    The message reaches tenants (stream `error` events, the plan's stored error): it never
    carries the server's address, which may hold credentials, nor its answer's body. The
    details are logged, with the address's userinfo removed.
    """
    if isinstance(exc, openai.APITimeoutError):
        message = "the LLM server timed out"
    elif isinstance(exc, openai.APIConnectionError):
        message = "cannot reach the LLM server"
    elif isinstance(exc, openai.APIStatusError):
        message = f"the LLM server answered HTTP {exc.status_code}"
    else:
        message = "the LLM request failed"
    log.warning("%s (%s): %s", message, _without_userinfo(base_url), exc)
    return EngineError(message)


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))
