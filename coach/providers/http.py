"""Shared HTTP plumbing for adapters: one client, one attempt, status -> typed error."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx2

from coach.providers.base import (
    ProviderAuthError,
    ProviderContext,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnsupported,
)


class Http:
    """A provider's HTTP session: maps transport failures and statuses to provider errors.

    It never retries: the error says whether trying again may help (and when), and the
    caller's RetryPolicy decides (coach.providers.retry).
    """

    def __init__(
        self, provider: str, context: ProviderContext, base_url: str, headers: dict[str, str]
    ) -> None:
        self.provider = provider
        self.context = context
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self._own = context.http is None
        self.client: httpx2.AsyncClient = context.http or httpx2.AsyncClient(
            timeout=context.timeout_s
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
    ) -> Any:
        """The decoded JSON body of a 2xx answer (None when empty); raises ProviderError."""
        try:
            resp = await self.client.request(
                method,
                self.base_url + path,
                json=json,
                params=params,
                data=data,
                headers=self.headers,
                timeout=self.context.timeout_s,
            )
        except httpx2.TimeoutException as exc:
            # The request may have been processed: callers reconcile before re-creating.
            raise ProviderTimeout(f"{self.provider} did not answer in time") from exc
        except httpx2.TransportError as exc:
            raise ProviderError(
                f"{self.provider} connection failed: {type(exc).__name__}", retryable=True
            ) from exc
        raise_for_status(self.provider, resp)
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            raise ProviderError(
                f"{self.provider} sent a body that is not JSON",
                retryable=True,
                provider_status=resp.status_code,
            ) from exc

    async def aclose(self) -> None:
        if self._own:
            await self.client.aclose()


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as delta seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _message(resp: httpx2.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict):
        for key in ("error", "message", "detail"):
            if key in body:
                return str(body[key])
    return str(body)[:200]


def raise_for_status(provider: str, resp: httpx2.Response) -> None:
    code = resp.status_code
    if code < 400:
        return
    text = f"{provider} answered {code}: {_message(resp)}"
    if code in (401, 403):
        raise ProviderAuthError(text, provider_status=code)
    if code == 404:
        raise ProviderNotFound(text, provider_status=code)
    if code in (408, 504):
        raise ProviderTimeout(text, provider_status=code)
    if code == 429:
        raise ProviderRateLimited(
            text,
            retry_after=retry_after_seconds(resp.headers.get("retry-after")),
            provider_status=code,
        )
    if code == 501:
        raise ProviderUnsupported(text, provider_status=code)
    # 409 conflict, 425 too early and 5xx may go through on a later try; other 4xx won't.
    retryable = code >= 500 or code in (409, 425)
    raise ProviderError(
        text,
        retryable=retryable,
        provider_status=code,
        retry_after=retry_after_seconds(resp.headers.get("retry-after")),
    )
