"""Search across projects (contract §9), the same file on SQLite (FTS5) and PostgreSQL
(tsvector + GIN): ranking, prefixes, any order, snippets, paging, the index following every
write, hostile queries, and a non-member's tasks never appearing."""

from __future__ import annotations

from typing import Any

import pytest

from api.domain.search.terms import fts5_query, snippet, tsquery, words
from api.wire import SEARCH_MAX_CHARS
from tests.support import ApiUser, MakeUser


def project(owner: ApiUser, name: str, *titles: str | tuple[str, str]) -> tuple[str, list[str]]:
    """A project with tasks: a title, or (title, description)."""
    pid: str = owner.client.post("/api/projects", json={"name": name}).json()["id"]
    ids = []
    for t in titles:
        title, description = t if isinstance(t, tuple) else (t, "")
        r = owner.client.post(
            f"/api/projects/{pid}/tasks", json={"title": title, "description": description}
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return pid, ids


def search(user: ApiUser, q: str, **params: Any) -> dict[str, Any]:
    r = user.client.get("/api/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def titles(body: dict[str, Any]) -> list[str]:
    return [hit["task"]["title"] for hit in body["items"]]


def test_ranked_across_projects_title_first(make_user: MakeUser) -> None:
    me = make_user()
    pa, (login_bug, _, _) = project(
        me,
        "Web",
        "Fix login bug",
        ("Database migration", "After it the login page breaks for some users"),
        "Unrelated chore",
    )
    pb, (logout,) = project(me, "Mobile", ("Login screen", "Logging out forgets the token"))
    body = search(me, "login")
    # every title match before any description match
    assert set(titles(body)[:2]) == {"Fix login bug", "Login screen"}
    assert titles(body)[2:] == ["Database migration"] and body["total"] == 3
    hit = next(h for h in body["items"] if h["task"]["id"] == login_bug)
    assert hit["project"] == {"id": pa, "name": "Web"}
    assert hit["snippet"] == "Fix «login» bug"
    assert hit["task"]["status"] == "todo" and hit["task"]["project_id"] == pa
    desc = body["items"][2]
    assert desc["snippet"] == "After it the «login» page breaks for some users"
    assert next(h for h in body["items"] if h["task"]["id"] == logout)["project"]["name"] == (
        "Mobile"
    )
    assert pb

    # prefixes, any order, case; every word must match, across title and description
    assert set(titles(search(me, "LOG"))) == {"Fix login bug", "Login screen", "Database migration"}
    assert titles(search(me, "bug fix")) == ["Fix login bug"]
    assert titles(search(me, "page migr")) == ["Database migration"]
    assert titles(search(me, "login nothing")) == []
    # a title holding every word ranks above a description that does
    assert titles(search(me, "login screen token")) == ["Login screen"]


def test_snippet_is_cut_around_the_match(make_user: MakeUser) -> None:
    me = make_user()
    long = " ".join(f"filler{i}" for i in range(60)) + " the needle is here " + "tail " * 40
    project(me, "Haystack", ("Hay", long))
    hit = search(me, "needle")["items"][0]
    s = hit["snippet"]
    assert "«needle»" in s and s.startswith("…") and s.endswith("…")
    assert len(s) <= 170 and "\n" not in s


def test_index_follows_every_write(make_user: MakeUser) -> None:
    me = make_user()
    pid, (task,) = project(me, "Moves", "Quarterly report")
    assert titles(search(me, "quarterly")) == ["Quarterly report"]
    r = me.client.patch(f"/api/tasks/{task}", json={"title": "Annual summary"})
    assert r.status_code == 200
    assert titles(search(me, "quarterly")) == []
    assert titles(search(me, "annual")) == ["Annual summary"]
    me.client.patch(f"/api/tasks/{task}", json={"description": "mentions zebras"})
    assert titles(search(me, "zebra")) == ["Annual summary"]
    me.client.patch(f"/api/tasks/{task}", json={"status": "done"})  # not text: still found
    assert search(me, "zebra")["items"][0]["task"]["status"] == "done"
    assert me.client.delete(f"/api/tasks/{task}").status_code == 204
    assert search(me, "annual")["total"] == 0
    _, (again,) = project(me, "Gone", "Annual budget")
    assert me.client.delete(f"/api/projects/{_}").status_code == 204
    assert search(me, "annual")["total"] == 0
    assert pid and again


def test_paging_and_total(make_user: MakeUser) -> None:
    me = make_user()
    project(me, "Many", *[f"Widget number {i}" for i in range(7)])
    first = search(me, "widget", limit=3)
    assert first["total"] == 7 and len(first["items"]) == 3
    rest = (
        search(me, "widget", limit=3, offset=3)["items"]
        + search(me, "widget", limit=3, offset=6)["items"]
    )
    seen = [h["task"]["id"] for h in first["items"] + rest]
    assert len(set(seen)) == 7
    past = search(me, "widget", offset=50)
    assert past == {"items": [], "total": 7}
    assert search(me, "widget")["total"] == 7 and len(search(me, "widget")["items"]) == 7


def test_a_non_member_never_sees_a_task(make_user: MakeUser) -> None:
    owner, other, leaver = make_user(), make_user(), make_user()
    pid, _ = project(owner, "Secret", ("Classified plans", "the launch codes"))
    r = owner.client.post(
        f"/api/projects/{pid}/members", json={"username": leaver.username, "role": "viewer"}
    )
    assert r.status_code == 201
    project(other, "Mine", "Plans for lunch")
    assert titles(search(other, "plans")) == ["Plans for lunch"]
    assert titles(search(leaver, "plans")) == ["Classified plans"]
    assert me_leaves(leaver, pid)
    assert search(leaver, "plans") == {"items": [], "total": 0}
    for q in HOSTILE:
        assert "Classified plans" not in titles(search(other, q))


def me_leaves(user: ApiUser, pid: str) -> bool:
    return user.client.delete(f"/api/projects/{pid}/members/{user.id}").status_code == 204


HOSTILE = [
    '"',
    '""',
    '"plans',
    "*",
    "plans*",
    "*plans",
    "NEAR",
    "NEAR(plans launch)",
    "plans NEAR launch",
    "-",
    "-plans",
    "plans -launch",
    "OR",
    "plans OR codes",
    "AND",
    "NOT plans",
    "plans & codes",
    "plans | codes",
    "!plans",
    "plans:*",
    "'plans':*A",
    "plans<->codes",
    "title:plans",
    "{title}: plans",
    "^plans",
    "(plans",
    "plans)",
    "'",
    "\\",
    "%",
    "_",
    "'; DROP TABLE tasks; --",
    "1' OR '1'='1",
    "plans' OR 1=1 --",
    "ünïcödé 日本語 émoji 🎉",
]


def matches(q: str, text: str) -> bool:
    """The rule, stated plainly: every word of q begins some word of the text."""
    have = [w.lower() for w in text.replace("_", " ").split()]
    return all(any(h.startswith(w) for h in have) for w in words(q))


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_are_plain_words(make_user: MakeUser, q: str) -> None:
    """Query syntax of either backend is only words: never a 500, never another's task, and
    the result is what the words alone would find."""
    me = make_user()
    tasks = {"Plans": "launch codes", "Other": "ünïcödé 日本語 text"}
    project(me, "Target", *tasks.items())
    body = search(me, q)
    assert body["total"] == len(body["items"])
    want = {t for t, d in tasks.items() if words(q) and matches(q, f"{t} {d}")}
    assert set(titles(body)) == want, (q, words(q))


@pytest.mark.parametrize(
    ("q", "status"),
    [
        ("x" * (SEARCH_MAX_CHARS + 1), 400),  # over the cap
        ("x" * 8000, 400),  # under the 8 KiB request-target limit, over the cap
        ("x" * 10_000, 414),  # the request target itself is over 8 KiB (README: limits)
        (" ".join(f"w{i}" for i in range(17)), 400),  # 17 words
        ("tab\there", 400),
        ("bell\x07", 400),
        ("line\u2028sep", 400),
        ("c1\x85", 400),
    ],
)
def test_bad_queries_are_400(make_user: MakeUser, q: str, status: int) -> None:
    me = make_user()
    r = me.client.get("/api/search", params={"q": q})
    assert r.status_code == status, r.text
    assert r.json()["status_code"] == status


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "a", "limit": 0}, {"q": "a", "limit": 101}, {"q": "a", "limit": "ten"},
     {"q": "a", "offset": -1}],
)  # fmt: skip
def test_bad_parameters_are_400(make_user: MakeUser, params: dict[str, Any]) -> None:
    r = make_user().client.get("/api/search", params=params)
    assert r.status_code == 400, r.text


def test_no_words_finds_nothing(make_user: MakeUser) -> None:
    me = make_user()
    project(me, "P", "Anything")
    for q in ("", "   ", "!!!", "-- ** ::", '""', "___"):
        assert search(me, q) == {"items": [], "total": 0}
    assert search(me, "a", limit=100, offset=0)["total"] == 1
    assert make_user().client.get("/api/search", params={"q": "anything"}).json() == {
        "items": [],
        "total": 0,
    }


def test_terms_never_carry_syntax() -> None:
    assert words("Fix-the LOGIN_page, fix! 'x' \"y\" *") == [
        "fix",
        "the",
        "login",
        "page",
        "x",
        "y",
    ]
    assert tsquery(["fix", "log"]) == "'fix':* & 'log':*"
    assert tsquery(["fix"], "A") == "'fix':*A"
    assert fts5_query(["near", "or"]) == '"near"* "or"*'
    assert fts5_query(["a"], "title") == 'title : ("a"*)'
    assert snippet("Title", "", ["tit"]) == "«Title»"
    assert snippet("T", "no match here", ["zz"]) == "T"
    assert snippet("T", "a\nmultiline\tdescription", ["multi"]) == "a «multiline» description"
