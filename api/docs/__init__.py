"""The API docs at `/schema`: Swagger UI served by Taskroom itself, nothing from another origin.

Swagger UI's files come from the `swagger-ui-bundle` package, pinned in `uv.lock`, so the page
works on a server without internet access. Litestar's own Swagger page puts the spec and the
start-up code in an inline script; this page loads both from the server (`swagger-init.js`
fetches `openapi.json`), so its Content-Security-Policy can allow scripts from `'self'` alone.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.response import File
from swagger_ui_bundle import swagger_ui_path

PATH = "/schema"
# The text at the top of the page: how to get a token, and the websocket protocol.
DESCRIPTION = Path(__file__).with_name("description.md").read_text()
ASSET_ROUTE = "docs-asset"

# Swagger UI styles elements inline and draws its icons as data: URIs; everything else,
# scripts above all, may come from the server's own origin only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

_SWAGGER_UI = Path(swagger_ui_path)
_ASSETS = {
    "swagger-ui.css": _SWAGGER_UI / "swagger-ui.css",
    "swagger-ui-bundle.js": _SWAGGER_UI / "swagger-ui-bundle.js",
    "favicon-32x32.png": _SWAGGER_UI / "favicon-32x32.png",
    "swagger-init.js": Path(__file__).with_name("swagger-init.js"),
}


@get(
    "/assets/{file:str}",
    name=ASSET_ROUTE,
    sync_to_thread=False,
    cache_control=CacheControlHeader(max_age=3600),
)
def asset(file: FromPath[str]) -> File:
    """One of the page's own files; only those it uses are served."""
    path = _ASSETS.get(file)
    if path is None:
        raise NotFoundException(f"No docs asset {file!r}")
    return File(path, filename=path.name, content_disposition_type="inline")


class SwaggerPage(OpenAPIRenderPlugin):
    """Swagger UI with its files and start-up script served from this server."""

    def __init__(self, path: str = "/swagger") -> None:
        super().__init__(path=path)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        def url(name: str) -> str:
            return html.escape(request.app.route_reverse(ASSET_ROUTE, file=name))

        title = html.escape(openapi_schema["info"]["title"])
        spec_url = html.escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" type="image/png" href="{url("favicon-32x32.png")}">
  <link rel="stylesheet" href="{url("swagger-ui.css")}">
  <script src="{url("swagger-ui-bundle.js")}" defer></script>
  <script src="{url("swagger-init.js")}" defer></script>
</head>
<body>
  <div id="swagger-ui" data-spec-url="{spec_url}"></div>
</body>
</html>
""".encode()


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """Swagger UI first, so it is also the page at `/schema`; the JSON document beside it."""
    return [SwaggerPage(), JsonRenderPlugin()]


def router() -> Router:
    """The router Litestar adds the docs pages to, with the page's assets and its CSP."""
    return Router(
        PATH,
        route_handlers=[asset],
        include_in_schema=False,
        response_headers=[
            ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY)
        ],
    )
