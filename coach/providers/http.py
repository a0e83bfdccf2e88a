"""Shared HTTP plumbing for adapters: one client, one attempt, status -> typed error.

What a provider answers is never passed on: errors carry our own short message (the
provider, its HTTP status, a stable code) and the provider's body goes to the log only.
A connection's credentials cannot aim the service at another host either: the base URL
comes from the operator's settings (`ProviderContext.endpoints`).
"""

from __future__ import annotations

import email.utils
import logging
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

log = logging.getLogger("coach.providers")

# What the log keeps of a provider's error body.
_LOGGED_BODY = 500


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
        name = self.provider
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
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
            # Nothing was sent: the request can simply be made again.
            log.warning("%s %s %s: could not connect: %r", name, method, path, exc)
            raise ProviderError(
                f"{name} could not be reached (provider_unavailable)",
                retryable=True,
                provider=name,
            ) from exc
        except httpx2.TimeoutException as exc:
            # The request may have been processed: callers reconcile before re-creating.
            log.warning("%s %s %s: timed out: %r", name, method, path, exc)
            raise ProviderTimeout(
                f"{name} did not answer in time (provider_timeout)", provider=name
            ) from exc
        except httpx2.TransportError as exc:
            # Sent, then the connection broke: it may have been processed too.
            log.warning("%s %s %s: connection failed: %r", name, method, path, exc)
            raise ProviderError(
                f"{name} dropped the connection (provider_unavailable)",
                retryable=True,
                unknown=True,
                provider=name,
            ) from exc
        raise_for_status(name, resp, method=method, path=path)
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            log.warning(
                "%s %s %s answered %d with a body that is not JSON: %r",
                name,
                method,
                path,
                resp.status_code,
                resp.text[:_LOGGED_BODY],
            )
            raise bad_answer(name, provider_status=resp.status_code) from exc

    async def aclose(self) -> None:
        if self._own:
            await self.client.aclose()


def bad_answer(provider: str, *, provider_status: int | None = None) -> ProviderError:
    """A 2xx answer we cannot read: it took effect, so a retry must look for it first."""
    return ProviderError(
        f"{provider} sent an answer we could not read (provider_bad_answer)",
        retryable=True,
        unknown=True,
        code="provider_bad_answer",
        provider=provider,
        provider_status=provider_status,
    )


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


def raise_for_status(
    provider: str, resp: httpx2.Response, *, method: str = "", path: str = ""
) -> None:
    code = resp.status_code
    if code < 400:
        return
    # The body is the provider's (or whatever answered at that address): the log only.
    log.warning("%s %s %s answered %d: %r", provider, method, path, code, resp.text[:_LOGGED_BODY])
    kw: dict[str, Any] = {"provider_status": code, "provider": provider}

    def text(error_code: str) -> str:
        return f"{provider} answered {code} ({error_code})"

    if code in (401, 403):
        raise ProviderAuthError(text("provider_auth_failed"), **kw)
    if code == 404:
        raise ProviderNotFound(text("provider_not_found"), **kw)
    if code in (408, 504):
        raise ProviderTimeout(text("provider_timeout"), **kw)
    retry_after = retry_after_seconds(resp.headers.get("retry-after"))
    if code == 429:
        raise ProviderRateLimited(text("provider_rate_limited"), retry_after=retry_after, **kw)
    if code == 501:
        raise ProviderUnsupported(text("provider_unsupported"), **kw)
    # 409 conflict, 425 too early and 5xx may go through on a later try; other 4xx won't.
    if code >= 500 or code in (409, 425):
        raise ProviderError(
            text("provider_unavailable"), retryable=True, retry_after=retry_after, **kw
        )
    raise ProviderError(text("provider_rejected"), code="provider_rejected", **kw)
