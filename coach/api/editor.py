"""`GET /editor`: the plan editor page (coach.web), public: the page holds no data; it
asks the coach for a key and calls the API with it."""

from __future__ import annotations

from starlette.responses import Response

from coach.api.endpoint import Access, AnyEndpoint, Call, Endpoint
from coach.web.pages import editor_page


async def read_editor(call: Call[None, None]) -> Response:
    return editor_page(call.request)


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "GET",
        "/editor",
        read_editor,
        "The plan editor page (HTML; its assets are under /editor/static/)",
        "service",
        errors=(),
        access=Access.PUBLIC,
        media_type="text/html",
    ),
]
