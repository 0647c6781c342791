"""The OpenAPI document: exactly the app's routes (its route table), each with a summary, a
domain tag, response models, the contract's error responses, and the right security (none only
where no token is needed). The docs page itself: served from this server alone.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from api.docs import CONTENT_SECURITY_POLICY
from tests.routes import app_routes
from tests.support import Server

PUBLIC = {
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("get", "/health"),
    ("get", "/api/exports/{export_id}/file"),  # by a download link: its token is in the query
}
UNDOCUMENTED = {("GET", "/metrics")}  # the Prometheus scraper's, not an API client's
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec(server: Server) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/schema/openapi.json", timeout=30)
    assert r.status_code == 200
    return dict(r.json())


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_every_contract_route_is_documented(spec: dict[str, Any]) -> None:
    documented = {(m, p) for m, p, _ in operations(spec)}
    for route in [
        ("post", "/api/auth/register"), ("post", "/api/auth/login"), ("get", "/api/me"),
        ("get", "/api/projects"), ("post", "/api/projects"),
        ("get", "/api/projects/{project_id}"), ("patch", "/api/projects/{project_id}"),
        ("delete", "/api/projects/{project_id}"),
        ("post", "/api/projects/{project_id}/members"),
        ("patch", "/api/projects/{project_id}/members/{user_id}"),
        ("delete", "/api/projects/{project_id}/members/{user_id}"),
        ("post", "/api/projects/{project_id}/tasks"), ("get", "/api/projects/{project_id}/tasks"),
        ("get", "/api/tasks/{task_id}"), ("patch", "/api/tasks/{task_id}"),
        ("delete", "/api/tasks/{task_id}"),
        ("post", "/api/projects/{project_id}/exports"),
        ("get", "/api/projects/{project_id}/exports"),
        ("get", "/api/exports/{export_id}"), ("get", "/api/exports/{export_id}/download"),
        ("get", "/health"),
    ]:  # fmt: skip
        assert route in documented, route


def test_every_route_is_documented(spec: dict[str, Any]) -> None:
    """Exactly the app's routes, from its route table: none undocumented, none made up."""
    documented = {(m.upper(), p) for m, p, _ in operations(spec)}
    routes = app_routes() - UNDOCUMENTED
    assert documented == routes, {
        "undocumented": sorted(routes - documented),
        "documented, not served": sorted(documented - routes),
    }


def test_summaries_and_domain_tags(spec: dict[str, Any]) -> None:
    declared = {t["name"] for t in spec["tags"]}
    for method, path, op in operations(spec):
        assert op.get("summary", "").strip(), (method, path)
        assert op.get("tags") and set(op["tags"]) <= declared, (method, path, op.get("tags"))


# Contract §10: an import answers 202 with its job, or 200 with the report of a dry run.
TWO_SUCCESSES = {("post", "/api/projects/{project_id}/imports"): ["200", "202"]}


def test_response_models(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        ok = sorted(code for code in op["responses"] if code.startswith("2"))
        assert len(ok) == 1 or ok == TWO_SUCCESSES.get((method, path)), (method, path, ok)
        for code in ok:
            if code != "204":
                assert op["responses"][code].get("content"), (method, path)


def _error_schema(spec: dict[str, Any], response: dict[str, Any]) -> set[str]:
    schema = response["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return set(schema.get("properties", {}))


def test_documented_errors_have_the_contract_shape(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        codes = set(op["responses"])
        if (method, path) not in PUBLIC:
            assert "401" in codes, (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        if "requestBody" in op:
            assert {"400", "413"} <= codes, (method, path)
        # Bad input is 400; 422 is only a reused Idempotency-Key (api/domain/idempotency.py).
        keyed = any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
        assert "422" not in codes or keyed, (method, path)
        for code, response in op["responses"].items():
            if code.startswith("4"):
                assert {"status_code", "detail"} <= _error_schema(spec, response), (path, code)


def test_bearer_security(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes.values())
    for method, path, op in operations(spec):
        if (method, path) in PUBLIC:
            assert op.get("security") == [], (method, path)
        else:
            requirements = op.get("security", spec.get("security", []))
            names = {name for requirement in requirements for name in requirement}
            assert names and names <= set(schemes), (method, path)


@pytest.mark.parametrize("page", ["/schema", "/schema/swagger"])
def test_docs_page_is_served_from_this_server_alone(server: Server, page: str) -> None:
    """No CDN: every asset the page names is a path on this server, served from here."""
    r = httpx.get(f"{server.url}{page}", timeout=30)
    assert r.status_code == 200 and "swagger-ui" in r.text
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "//" not in r.text.replace("<!DOCTYPE html>", ""), "a URL with a host in the page"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S)
    assert scripts and all('src="/schema/' in attrs and not body.strip() for attrs, body in scripts)
    assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert len(assets) == 4, assets
    for asset in assets:
        served = httpx.get(f"{server.url}{asset}", timeout=30)
        assert served.status_code == 200, asset
        kind = served.headers["content-type"]
        assert kind.split("/")[0] in {"text", "image"} or "javascript" in kind, (asset, kind)


def test_docs_assets_are_only_those_the_page_uses(server: Server) -> None:
    r = httpx.get(f"{server.url}/schema/assets/index.html", timeout=30)
    assert r.status_code == 404 and r.json()["status_code"] == 404


def test_serve_prints_the_docs_url(server: Server) -> None:
    assert f"API docs: {server.url}/schema\n" in server.log()


def test_description_says_how_to_get_a_token(spec: dict[str, Any]) -> None:
    description = spec["info"]["description"]
    assert "POST /api/auth/register" in description and "POST /api/auth/login" in description
    assert "Authorize" in description
    assert "(#websocket-protocol)" in description and 'id="websocket-protocol"' in description
