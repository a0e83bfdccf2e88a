"""AI Endurance partner API emulator: OAuth2 (authorize, token, refresh, revoke), workouts,
and FIT files sent with `fit_partner_ping` (validated as the reference describes them)."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.emulators.faults import Faults, json_error

CODE_TTL_S = 15 * 60  # "code is valid for 15 minutes"
TOKEN_TTL_S = 36000  # "access_token expires after 36000 seconds"
_err = json_error("error")


class AIEnduranceEmulator:
    """One registered client and one athlete whose `workouts` the test fills in."""

    def __init__(
        self,
        *,
        client_id: str = "client-test",
        client_secret: str = "secret-test",
        redirect_uri: str = "https://coach.example/callback",
        clock: Any = None,
        approve: bool = True,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uri = redirect_uri
        self.wall = clock.wall if clock is not None else time.time
        self.approve = approve
        self.workouts: list[dict[str, Any]] = []
        # fit_partner_ping: summary_id -> the activity file entry, plus the decoded `data`.
        self.fit_files: dict[str, dict[str, Any]] = {}
        self.pings: list[dict[str, Any]] = []
        self.codes: dict[str, float] = {}
        self.access: dict[str, float] = {}  # token -> expiry (unix time)
        self.refresh: set[str] = set()
        self.revoked: list[str] = []
        self.faults = Faults()
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/authorize", self.authorize, methods=["GET"]),
                Route("/o/token/", self.token, methods=["POST"]),
                Route("/o/revoke_token/", self.revoke, methods=["POST"]),
                Route("/o/future_workout_static/", self.future_workouts, methods=["GET"]),
                Route("/api/fit_partner_ping/", self.fit_partner_ping, methods=["POST"]),
            ]
        )

    def _count(self, request: Request) -> None:
        with self._lock:
            self.calls[f"{request.method} {request.url.path}"] += 1

    async def authorize(self, request: Request) -> Response:
        self._count(request)
        q = request.query_params
        if q.get("client_id") != self.client_id or q.get("redirect_uri") != self.redirect_uri:
            return _err(400, "unknown client_id or redirect_uri")
        if q.get("response_type", "code") != "code":
            return _err(400, "unsupported_response_type")
        back: dict[str, str] = {}
        if self.approve:  # a refusal comes back without a code
            code = secrets.token_urlsafe(16)
            with self._lock:
                self.codes[code] = self.wall()
            back["code"] = code
        if "state" in q:
            back["state"] = q["state"]
        return RedirectResponse(f"{self.redirect_uri}?{urlencode(back)}", status_code=302)

    def _issue(self) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access[access] = self.wall() + TOKEN_TTL_S
        self.refresh.add(refresh)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL_S,
            "scope": "read",
        }

    async def token(self, request: Request) -> Response:
        self._count(request)
        form = await _form(request)
        if form.get("client_id") != self.client_id or (
            form.get("client_secret") != self.client_secret
        ):
            return _err(401, "invalid_client")

        async def commit() -> Response:
            with self._lock:
                grant = form.get("grant_type")
                if grant == "authorization_code":
                    issued = self.codes.pop(str(form.get("code")), None)
                    if issued is None or self.wall() - issued > CODE_TTL_S:
                        return _err(400, "invalid_grant")
                elif grant == "refresh_token":
                    old = str(form.get("refresh_token"))
                    if old not in self.refresh:
                        return _err(400, "invalid_grant")
                    self.refresh.discard(old)  # rotated: a new refresh token comes back
                else:
                    return _err(400, "unsupported_grant_type")
                return JSONResponse(self._issue())

        return await self.faults.run(request, commit, _err)

    async def revoke(self, request: Request) -> Response:
        self._count(request)
        form = await _form(request)
        if form.get("client_id") != self.client_id or (
            form.get("client_secret") != self.client_secret
        ):
            return _err(401, "invalid_client")
        token = str(form.get("token"))
        with self._lock:
            self.access.pop(token, None)
            self.refresh.discard(token)
            self.revoked.append(token)
        return Response(status_code=200)  # RFC 7009: 200 for unknown tokens too

    async def future_workouts(self, request: Request) -> Response:
        self._count(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        expiry = self.access.get(token)
        if expiry is None or self.wall() >= expiry:
            return JSONResponse(
                {"detail": "Authentication credentials were not provided."}, status_code=401
            )
        start = request.query_params.get("startDate")

        async def commit() -> Response:
            rows = [w for w in self.workouts if start is None or str(w.get("date")) >= start]
            return JSONResponse(rows)

        return await self.faults.run(request, commit, _err)

    def _authorized(self, request: Request) -> bool:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        expiry = self.access.get(token)
        return expiry is not None and self.wall() < expiry

    async def fit_partner_ping(self, request: Request) -> Response:
        """The reference: `{client_id, activity_files: [...]}`, every field present; each
        file downloadable at callback_url or sent in it as base64. Priority 1 files are
        imported at once; priority 0 ones wait for a bulk import task (kept, not imported)."""
        self._count(request)
        if not self._authorized(request):
            return JSONResponse(
                {"detail": "Authentication credentials were not provided."}, status_code=401
            )
        try:
            body = await request.json()
        except ValueError:
            return _err(400, "body is not JSON")
        problem = _ping_problem(body, self.client_id)
        if problem:
            return _err(400, problem)

        async def commit() -> Response:
            with self._lock:
                self.pings.append(body)
                for entry in body["activity_files"]:
                    key = entry["summary_id"]
                    if key in self.fit_files and not entry["overwrite_mode"]:
                        continue  # held already and not to be overwritten
                    data = _download(entry["callback_url"])
                    self.fit_files[key] = {
                        **entry,
                        "data": data,
                        "imported": entry["priority"] == 1,
                    }
            return JSONResponse({"received": len(body["activity_files"])})

        return await self.faults.run(request, commit, _err)


_FILE_FIELDS = {
    "file_type",
    "activity_name",
    "priority",
    "source",
    "overwrite_mode",
    "start_time_in_seconds",
    "callback_url",
    "summary_id",
}


def _ping_problem(body: Any, client_id: str) -> str | None:
    """What is wrong with a ping body, or None."""
    if not isinstance(body, dict) or set(body) != {"client_id", "activity_files"}:
        return "client_id and activity_files are required (and nothing else)"
    if body["client_id"] != client_id:
        return "unknown client_id"
    files = body["activity_files"]
    if not isinstance(files, list) or not files:
        return "activity_files must be a non-empty list"
    for entry in files:
        if not isinstance(entry, dict) or set(entry) != _FILE_FIELDS:
            return f"every activity file needs exactly {sorted(_FILE_FIELDS)}"
        if entry["file_type"] != "FIT":
            return "file_type must be 'FIT'"
        if entry["priority"] not in (0, 1) or isinstance(entry["priority"], bool):
            return "priority is 0 or 1"
        if not isinstance(entry["overwrite_mode"], bool):
            return "overwrite_mode is a boolean"
        stamp = entry["start_time_in_seconds"]
        if not isinstance(stamp, str) or not stamp.isdigit():
            return "start_time_in_seconds is a unix time stamp as a string"
        for key in ("source", "callback_url", "summary_id"):
            if not isinstance(entry[key], str) or not entry[key]:
                return f"{key} must be a non-empty string"
        if entry["activity_name"] is not None and not isinstance(entry["activity_name"], str):
            return "activity_name is a string or null"
        if not entry["callback_url"].startswith(("http://", "https://")):
            try:
                data = base64.b64decode(entry["callback_url"], validate=True)
            except (binascii.Error, ValueError):
                return "callback_url is neither a URL nor a base64 FIT file"
            if data[8:12] != b".FIT":
                return "callback_url's base64 is not a FIT file"
    return None


def _download(callback_url: str) -> bytes | None:
    """The file a ping names: decoded from base64 (a URL is not fetched here)."""
    if callback_url.startswith(("http://", "https://")):
        return None
    return base64.b64decode(callback_url)


async def _form(request: Request) -> dict[str, str]:
    # application/x-www-form-urlencoded, parsed here: Starlette's form() needs multipart.
    return dict(parse_qsl((await request.body()).decode()))
