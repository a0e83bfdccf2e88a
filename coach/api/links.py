"""Links the service hands out (a calendar feed, a workout file), built from the operator's
`COACH_PUBLIC_URL`, never from the request's `Host` header, which the caller chooses."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from coach.services import services_of


def public_url(request: Request, route: str, **params: Any) -> str:
    """The absolute URL of `route` (a handler's name) with `params`."""
    settings = services_of(request).settings
    path = request.app.url_path_for(route, **params)
    return settings.public_base_url + str(path)
