"""The editor page (the template rendered, for `GET /editor` in coach.api.editor) and its
assets, served under `/editor/static/`.

The page calls the HTTP API of the same origin with the key the coach signs in with. Its
Content-Security-Policy allows this origin only: no script, style or connection goes
anywhere else.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from coach import __version__

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

# Nothing from another origin; no inline script or style; never framed by another site
# unless the operator puts it behind their own proxy with other headers.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'"
)

_templates = Jinja2Templates(directory=HERE / "templates")


def editor_page(request: Request) -> Response:
    response = _templates.TemplateResponse(request, "editor.html", {"version": __version__})
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    return response


def editor_assets() -> Mount:
    return Mount("/editor/static", StaticFiles(directory=STATIC), name="editor_static")
