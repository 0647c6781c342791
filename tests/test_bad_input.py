"""Bad and hostile input: always a 4xx in the contract's error shape, never a 500, never a
half-applied change. Odd but valid text (RTL, emoji, SQL-ish) is stored and returned as is.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.request_line import MAX_TARGET_BYTES
from tests.support import ApiUser, Server, register
from tests.test_ssh_keys import public_key

MIB = 1024 * 1024
LONE_SURROGATE = '"a\\ud800b"'  # valid JSON text, not valid Unicode


@dataclass
class Target:
    owner: ApiUser
    project: str
    task: str

    def snapshot(self) -> Any:
        """Everything a bad request might have touched."""
        c = self.owner.client
        return [
            c.get(path).json()
            for path in (
                "/api/projects",
                f"/api/projects/{self.project}",
                f"/api/projects/{self.project}/exports",
                "/api/me/ssh-keys",
            )
        ]


@pytest.fixture(scope="module")
def target(server: Server) -> Iterator[Target]:
    owner = register(server.url)
    pid = owner.client.post("/api/projects", json={"name": "Target"}).json()["id"]
    tid = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "Task"}).json()["id"]
    yield Target(owner, pid, tid)
    owner.close()


ROUTES = {
    "create project": ("POST", "/api/projects"),
    "update project": ("PATCH", "/api/projects/{project}"),
    "add member": ("POST", "/api/projects/{project}/members"),
    "create task": ("POST", "/api/projects/{project}/tasks"),
    "update task": ("PATCH", "/api/tasks/{task}"),
    "register": ("POST", "/api/auth/register"),
    "login": ("POST", "/api/auth/login"),
    "add ssh key": ("POST", "/api/me/ssh-keys"),
    "export": ("POST", "/api/projects/{project}/exports"),
}

# (route, raw JSON body) -> 400
BAD_JSON = [
    ("create task", '{"title": "t", "status": "doing"}'),
    ("create task", '{"title": "t", "priority": "URGENT"}'),
    ("create task", '{"title": "t", "due_date": "2024-02-30"}'),
    ("create task", '{"title": "t", "due_date": "tomorrow"}'),
    ("create task", '{"title": "t", "due_date": "2024-01-01T00:00:00Z"}'),
    ("create task", '{"title": "t", "assignee_id": "not-a-uuid"}'),
    ("create task", '{"title": "t", "assignee_id": 12}'),
    ("create task", '{"title": "t", "position": "first"}'),
    ("create task", '{"title": "t", "position": 1e400}'),
    ("create task", '{"title": "t", "position": 1e13}'),
    ("create task", '{"title": ""}'),
    ("create task", '{"title": null}'),
    ("create task", '{"title": ["t"]}'),
    ("create task", '{"title": {"$gt": ""}}'),
    ("create task", '{"description": "no title"}'),
    ("create task", '{"title": "t", "bogus": 1}'),
    ("create task", '{"title": "t", "id": "00000000-0000-0000-0000-000000000000"}'),
    ("create task", json.dumps({"title": "x" * 501})),
    ("create task", json.dumps({"title": "t", "description": "x" * 20_001})),
    ("create task", '{"title": "a\\u0000b"}'),
    ("create task", '{"title": ' + LONE_SURROGATE + "}"),
    ("update task", '{"status": null}'),
    ("update task", '{"title": null}'),
    ("update task", '{"version": 0}'),
    ("update task", '{"version": "one"}'),  # ("1" is read as 1: Litestar converts laxly)
    ("update task", '{"version": 1.5}'),
    ("update task", '{"project_id": "00000000-0000-0000-0000-000000000000"}'),
    ("update task", '{"assignee_id": "00000000-0000-0000-0000-000000000000"}'),
    ("update task", '{"description": "a\\u0000"}'),
    ("create project", '{"name": ""}'),
    ("create project", json.dumps({"name": "x" * 201})),
    ("create project", json.dumps({"name": "p", "description": "x" * 10_001})),
    ("create project", '{"name": 1}'),
    ("create project", '{"name": true}'),
    ("create project", '{"name": "a\\u0000b"}'),
    ("create project", '{"name": ' + LONE_SURROGATE + "}"),
    ("create project", '{"name": "p", "owner_id": "00000000-0000-0000-0000-000000000000"}'),
    ("update project", '{"name": null}'),
    ("update project", '{"version": -1}'),
    ("update project", '{"role": "owner"}'),
    ("add member", '{"username": "x", "role": "owner"}'),
    ("add member", '{"username": "x"}'),
    ("add member", '{"username": "a\\u0000", "role": "viewer"}'),
    ("register", '{"username": "Al", "password": "password-1"}'),
    ("register", '{"username": "ALICE", "password": "password-1"}'),
    ("register", '{"username": "al ice", "password": "password-1"}'),
    ("register", '{"username": "alice\\u0000", "password": "password-1"}'),
    ("register", '{"username": "alice\\n", "password": "password-1"}'),
    ("register", '{"username": "\\u0430lice", "password": "password-1"}'),
    ("register", '{"username": "alice1", "password": "short"}'),
    ("register", json.dumps({"username": "alice1", "password": "x" * 129})),
    ("register", '{"username": "alice1", "password": "password-1", "display_name": "a\\u0000"}'),
    ("register", json.dumps({"username": "al", "password": "password-1", "is_admin": True})),
    ("login", '{"username": "alice"}'),
    ("login", '{"username": "a\\u0000", "password": "password-1"}'),
    ("login", json.dumps({"username": "x" * 129, "password": "password-1"})),
]

# (route, raw body bytes) -> 400: not JSON at all, or not an object
NOT_JSON: list[tuple[str, bytes]] = [
    ("create task", b"title=t"),
    ("create task", b"\xff\xfe\x00t"),
    ("create task", b'{"title": "t"'),
    ("create task", b""),
    ("create task", b"null"),
    ("create task", b"[]"),
    ("create task", b'"t"'),
    ("create task", b"1"),
    ("create task", b"[" * 100_000 + b"]" * 100_000),
    ("update task", b"{'title': 't'}"),
    ("register", b"<xml/>"),
    ("login", b"\x00\x00\x00"),
    # invalid UTF-8 inside a JSON string (contract §7)
    ("create task", b'{"title": "a\xffb"}'),
    ("create task", b'{"title": "t", "description": "\xc3\x28"}'),
    ("update task", b'{"title": "\xed\xa0\x80"}'),  # an encoded surrogate
    ("create project", b'{"name": "\xc0\xaf"}'),  # an overlong encoding
    ("register", b'{"username": "alice1", "password": "pass\xfeword-1"}'),
    ("login", b'{"username": "alice", "password": "pass\x80word-1"}'),
    ("login", b'{"username": "al\xe2\x82", "password": "password-1"}'),  # truncated
]


def send(
    target: Target, route: str, content: bytes | str, client: httpx.Client | None = None
) -> httpx.Response:
    method, path = ROUTES[route]
    path = path.format(project=target.project, task=target.task)
    client = client or target.owner.client
    return client.request(
        method, path, content=content, headers={"Content-Type": "application/json"}
    )


def assert_error(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status_code"] == status
    assert isinstance(body["detail"], str) and body["detail"].strip()


@pytest.mark.parametrize(("route", "raw"), BAD_JSON, ids=[f"{r}:{b[:40]}" for r, b in BAD_JSON])
def test_bad_json_is_400_and_changes_nothing(target: Target, route: str, raw: str) -> None:
    before = target.snapshot()
    assert_error(send(target, route, raw.encode()), 400)
    assert target.snapshot() == before


@pytest.mark.parametrize(("route", "raw"), NOT_JSON, ids=[f"{r}:{b[:20]!r}" for r, b in NOT_JSON])
def test_not_json_is_400(target: Target, route: str, raw: bytes) -> None:
    before = target.snapshot()
    assert_error(send(target, route, raw), 400)
    assert target.snapshot() == before


@pytest.mark.parametrize("route", ["create task", "update task", "create project", "register"])
def test_huge_body_is_413(target: Target, route: str) -> None:
    before = target.snapshot()
    raw = json.dumps({"title": "t", "name": "p", "description": "x" * (MIB + 10)})
    assert_error(send(target, route, raw), 413)
    assert target.snapshot() == before


def test_body_just_under_the_limit_is_judged_on_its_fields(target: Target) -> None:
    raw = json.dumps({"title": "t", "description": "x" * (MIB - 100)})
    assert_error(send(target, "create task", raw), 400)


BAD_QUERIES = [
    {"status": "open"},
    {"priority": "p1"},
    {"assignee_id": "me"},
    {"sort": "title"},
    {"sort": "position; DROP TABLE tasks"},
    {"sort": "position\n"},
    {"limit": "0"},
    {"limit": "1001"},
    {"limit": "ten"},
    {"offset": "-1"},
    {"offset": "99999999999999999999999"},
    {"q": "x" * 201},
    {"q": "a\x00b"},
]


@pytest.mark.parametrize("params", BAD_QUERIES, ids=[str(p)[:40] for p in BAD_QUERIES])
def test_bad_query_is_400(target: Target, params: dict[str, str]) -> None:
    r = target.owner.client.get(f"/api/projects/{target.project}/tasks", params=params)
    assert_error(r, 400)


@pytest.mark.parametrize(
    "path",
    [
        "/api/projects/not-a-uuid",
        "/api/projects/123",
        "/api/projects/{project}x",
        "/api/tasks/' OR 1=1 --",
        "/api/tasks/%00",
        "/api/projects/{project}/members/not-a-uuid",
        "/api/projects/../../etc/passwd",
    ],
)
def test_bad_ids_in_paths_are_refused(target: Target, path: str) -> None:
    for method in ("GET", "DELETE"):
        r = target.owner.client.request(method, path.format(project=target.project))
        assert r.status_code in (404, 405), r.text
        assert r.json()["detail"]
    assert target.owner.client.get(f"/api/projects/{target.project}").status_code == 200


ODD_TEXT = [
    "\u202eevil.exe\u202c RTL override",
    "שלום עולם مرحبا",
    "emoji 👩‍👩‍👧‍👦 🏳️‍🌈 🇺🇦",
    "combining e\u0301\u0301\u0301 zero\u200bwidth \ufeff bom",
    "Robert'); DROP TABLE tasks;--",
    '" OR ""="',
    "%_\\ wildcard\\%",
    "<script>alert(1)</script>",
    "\U0010ffff max code point",
    "😀" * 500,  # 500 code points: exactly the title limit
]


@pytest.mark.parametrize("text", ODD_TEXT, ids=range(len(ODD_TEXT)))
def test_odd_but_valid_text_round_trips(target: Target, text: str) -> None:
    c = target.owner.client
    r = c.post(f"/api/projects/{target.project}/tasks", json={"title": text, "description": text})
    assert r.status_code == 201, r.text
    task = c.get(f"/api/tasks/{r.json()['id']}").json()
    assert task["title"] == text and task["description"] == text
    found = c.get(f"/api/projects/{target.project}/tasks", params={"q": text[:50]}).json()
    assert task["id"] in [t["id"] for t in found["items"]]
    assert c.delete(f"/api/tasks/{task['id']}").status_code == 204


def test_a_username_with_a_trailing_newline_is_not_a_second_account(server: Server) -> None:
    """`^…$` with search semantics matches before a final newline: the whole string must match."""
    user = register(server.url)
    r = httpx.post(
        f"{server.url}/api/auth/register",
        json={"username": user.username + "\n", "password": "password-123"},
    )
    assert_error(r, 400)
    r = httpx.post(
        f"{server.url}/api/auth/login",
        json={"username": user.username + "\n", "password": "password-123"},
    )
    assert_error(r, 400)
    user.close()


# Contract §7: every text field a client sends (route, rest of a valid body, field, multi-line)...
TEXT_FIELDS: list[tuple[str, dict[str, str], str, bool]] = [
    ("create project", {"name": "p"}, "name", False),
    ("create project", {"name": "p"}, "description", True),
    ("update project", {}, "name", False),
    ("update project", {}, "description", True),
    ("create task", {"title": "t"}, "title", False),
    ("create task", {"title": "t"}, "description", True),
    ("update task", {}, "title", False),
    ("update task", {}, "description", True),
    ("register", {"password": "password-1"}, "display_name", False),
    ("login", {"password": "password-1"}, "username", False),
    ("add member", {"role": "viewer"}, "username", False),
    ("add ssh key", {"public_key": public_key()}, "name", False),
    ("export", {"format": "csv"}, "webhook_url", False),
]
# ...refuses C0 (newline and tab only in multi-line text), DEL, C1 and U+2028/2029.
CONTROLS = "\x00\x01\x07\x08\x0b\x0c\r\x1b\x1f\x7f\x80\x85\x9b\x9f\u2028\u2029"
CONTROL_CASES = [
    (route, rest, field, char)
    for route, rest, field, multiline in TEXT_FIELDS
    for char in CONTROLS + ("" if multiline else "\n\t")
]


@pytest.mark.parametrize(
    ("route", "rest", "field", "char"),
    CONTROL_CASES,
    ids=[f"{route}.{field}:{ord(char):#x}" for route, _, field, char in CONTROL_CASES],
)
def test_control_characters_are_400_and_change_nothing(
    target: Target, route: str, rest: dict[str, str], field: str, char: str
) -> None:
    before = target.snapshot()
    body = {
        **rest,
        field: f"https://example.com/a{char}b",
    }  # a webhook URL but for the one character
    if route == "register":
        body["username"] = f"u{uuid.uuid4().hex[:10]}"
    assert_error(send(target, route, json.dumps(body)), 400)
    assert target.snapshot() == before


MULTILINE_FIELDS = [(route, rest, field) for route, rest, field, multi in TEXT_FIELDS if multi]


@pytest.mark.parametrize(
    ("route", "rest", "field"), MULTILINE_FIELDS, ids=[f"{r}.{f}" for r, _, f in MULTILINE_FIELDS]
)
def test_multiline_text_keeps_newlines_and_tabs(
    target: Target, route: str, rest: dict[str, str], field: str
) -> None:
    text = "line\n\tindented\n\nlast"
    r = send(target, route, json.dumps({**rest, field: text}))
    assert r.status_code in (200, 201), r.text
    assert r.json()[field] == text


def test_a_request_target_past_the_bound_is_414_in_the_error_shape(target: Target) -> None:
    path = f"/api/projects/{target.project}/tasks?status=todo&pad="
    pad = MAX_TARGET_BYTES - len(path)
    assert target.owner.client.get(path + "a" * pad).status_code == 200
    assert_error(target.owner.client.get(path + "a" * (pad + 1)), 414)
    assert_error(httpx.get(f"{target.owner.client.base_url}/health?pad=" + "a" * 60_000), 414)


def test_a_request_line_past_uvicorns_bound_gets_its_plain_400(server: Server) -> None:
    """Past 64 KiB (httptools' URL parser) uvicorn answers before the app: documented in
    the README, and the server carries on."""
    line = b"GET /health?pad=" + b"a" * 200_000 + b" HTTP/1.1"  # httpx refuses to send it
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(line + b"\r\nHost: taskroom\r\n\r\n")
        answer = b"".join(iter(lambda: sock.recv(65536), b""))  # uvicorn closes after it
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\ncontent-type: text/plain; charset=utf-8\r\n" in head
    assert body == b"Invalid HTTP request received."
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_auth_header_garbage_is_401(server: Server) -> None:
    for value in ["Bearer", "Bearer x.y.z", "Basic Zm9vOmJhcg==", "Bearer " + "a" * 5000, "bearer"]:
        r = httpx.get(f"{server.url}/api/me", headers={"Authorization": value})
        assert_error(r, 401)


def test_token_signed_with_another_key_is_401(server: Server) -> None:
    import jwt

    forged = jwt.encode(
        {"sub": str(uuid.uuid4()), "exp": 4102444800, "extras": {"username": "x"}},
        "not-the-server-key-not-the-server-key",
        algorithm="HS256",
    )
    r = httpx.get(f"{server.url}/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert_error(r, 401)
