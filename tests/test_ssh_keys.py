"""`/api/me/ssh-keys`: register, list, delete, validation, duplicates; the gateway-only lookup."""

from __future__ import annotations

import asyncssh
import httpx

from api.signing import gateway_token
from tests.support import MakeUser, Server


def public_key(comment: str = "me@laptop", alg: str = "ssh-ed25519", **kw: int) -> str:
    key = asyncssh.generate_private_key(alg, comment=comment, **kw)
    return key.export_public_key().decode()


def gateway_headers(server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {gateway_token(server.env['TASKROOM_SECRET_KEY'])}"}


def test_add_list_delete(make_user: MakeUser) -> None:
    alice = make_user()
    text = public_key("alice@laptop")
    r = alice.client.post("/api/me/ssh-keys", json={"public_key": text})
    assert r.status_code == 201, r.text
    key = r.json()
    assert key["name"] == "alice@laptop"
    assert key["algorithm"] == "ssh-ed25519"
    assert key["fingerprint"].startswith("SHA256:")
    assert key["public_key"] == " ".join(text.split()[:2])

    r = alice.client.post("/api/me/ssh-keys", json={"public_key": text, "name": "again"})
    assert r.status_code == 409
    assert r.json()["extra"]["fingerprint"] == key["fingerprint"]

    named = alice.client.post(
        "/api/me/ssh-keys", json={"public_key": public_key(), "name": " work "}
    ).json()
    assert named["name"] == "work"
    listed = alice.client.get("/api/me/ssh-keys").json()
    assert [k["id"] for k in listed] == [key["id"], named["id"]]

    bob = make_user()
    assert bob.client.get("/api/me/ssh-keys").json() == []
    assert bob.client.delete(f"/api/me/ssh-keys/{key['id']}").status_code == 404
    # The same public key may belong to two accounts: the SSH username tells them apart.
    assert bob.client.post("/api/me/ssh-keys", json={"public_key": text}).status_code == 201

    assert alice.client.delete(f"/api/me/ssh-keys/{key['id']}").status_code == 204
    assert [k["id"] for k in alice.client.get("/api/me/ssh-keys").json()] == [named["id"]]


def test_hostile_key_text_is_a_clear_400(make_user: MakeUser) -> None:
    alice = make_user()
    private = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
    cases = {
        "hello": "Not an SSH public key",
        "ssh-ed25519 AAAA": "Not an SSH public key",
        private: "private key",
        public_key(alg="ssh-rsa", key_size=1024): "at least 2048 bits",
        "x" * 20_000: "",
    }
    for text, message in cases.items():
        r = alice.client.post("/api/me/ssh-keys", json={"public_key": text})
        assert r.status_code == 400, (text[:30], r.text)
        assert message in r.json()["detail"]
    assert alice.client.post("/api/me/ssh-keys", json={"key": "x"}).status_code == 400
    assert alice.client.get("/api/me/ssh-keys").json() == []
    assert httpx.get(f"{alice.client.base_url}/api/me/ssh-keys").status_code == 401


def test_control_characters_in_a_key_name_or_comment_are_400(
    server: Server, make_user: MakeUser
) -> None:
    """The comment becomes the key's name: NUL (which PostgreSQL text cannot hold) and the
    other control characters are refused in both (contract §7), never a 500."""
    alice = make_user()
    bare = " ".join(public_key().split()[:2])
    bodies = [
        {"public_key": f"{bare} me\x00laptop"},
        {"public_key": f"{bare} me\x1b[2Jlaptop"},
        {"public_key": f"{bare} me\u2028laptop"},
        {"public_key": f"{bare} me@laptop\x00"},
        {"public_key": bare, "name": "work\x00"},
        {"public_key": bare, "name": "work\x9b"},
    ]
    for body in bodies:
        r = alice.client.post("/api/me/ssh-keys", json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["detail"]
    assert alice.client.get("/api/me/ssh-keys").json() == []
    lookup = {"username": alice.username + "\x00", "public_key": bare}
    r = httpx.post(f"{server.url}/api/auth/ssh-key", json=lookup, headers=gateway_headers(server))
    assert r.status_code == 400, r.text


def test_key_owner_lookup_is_for_the_gateway_only(server: Server, make_user: MakeUser) -> None:
    alice = make_user()
    text = public_key()
    alice.client.post("/api/me/ssh-keys", json={"public_key": text})
    url = f"{server.url}/api/auth/ssh-key"
    body = {"username": alice.username, "public_key": text}

    r = httpx.post(url, json=body, headers=gateway_headers(server))
    assert r.status_code == 200, r.text
    assert r.json()["id"] == alice.id

    other = {"username": alice.username, "public_key": public_key()}
    assert httpx.post(url, json=other, headers=gateway_headers(server)).status_code == 401
    wrong_user = {"username": "nobody-here", "public_key": text}
    assert httpx.post(url, json=wrong_user, headers=gateway_headers(server)).status_code == 401

    # A user's own token, no token, or a token signed with another key: refused.
    for headers in (
        {"Authorization": f"Bearer {alice.token}"},
        {},
        {"Authorization": f"Bearer {gateway_token('another-secret-' * 4)}"},
    ):
        assert httpx.post(url, json=body, headers=headers).status_code == 401
    # And the gateway's token opens no user route.
    assert httpx.get(f"{server.url}/api/me", headers=gateway_headers(server)).status_code == 401


def test_documented_in_openapi(server: Server) -> None:
    schema = httpx.get(f"{server.url}/schema/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/me/ssh-keys"]) == {"get", "post"}
    assert "delete" in paths["/api/me/ssh-keys/{key_id}"]
    assert paths["/api/auth/ssh-key"]["post"]["security"] == [{"BearerToken": []}]
