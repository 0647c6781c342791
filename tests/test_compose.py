"""docker-compose.yml, checked without a Docker engine: every Taskroom service runs exactly
its `taskroom` command, every variable it sets is one that some code reads, and the replicas'
proxy settings, run by a real `taskroom serve`, count each client by its own address.
"""

from __future__ import annotations

import argparse
import re
import tomllib
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml

from taskroom_cli.main import build_parser
from tests.support import ROOT, Server, server_env
from tests.test_login import LIMIT

# Contract §1 (and §6's `taskroom exports failed|retry`): the parser has exactly these.
CONTRACT_COMMANDS = {"demo", "serve", "worker", "tui", "ssh-serve", "db", "exports"} | {
    # contract §10's scriptable commands
    "login",
    "projects",
    "tasks",
    "task",
    "comment",
    "export",
    "import",
    "completion",  # issue 15: shell completion, beside the contract's commands
}
API_COMMAND = ["taskroom", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
# Each Taskroom service's exact command: a dropped subcommand or option fails here.
SERVICE_COMMANDS = {
    "migrate": ["taskroom", "db", "upgrade"],
    "api-1": API_COMMAND,
    "api-2": API_COMMAND,
    "worker": ["taskroom", "worker", "--concurrency", "4"],
    "ssh": ["taskroom", "ssh-serve", "--port", "2222", "--server", "http://proxy:8080"],
}
SOURCE_DIRS = ["api", "worker", "tui", "sshd", "taskroom_cli"]
# Variables read by a library rather than by our code, and the library that reads them.
LIBRARY_VARIABLES = {"FORWARDED_ALLOW_IPS": Path(uvicorn.__file__).parent}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def taskroom_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services = compose["services"]
    return {
        name: svc
        for name, svc in services.items()
        if isinstance(svc.get("command"), list) and svc["command"][0] == "taskroom"
    }


def parser_commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def source_text(dirs: list[Path]) -> str:
    return "\n".join(p.read_text(errors="replace") for d in dirs for p in d.rglob("*.py"))


def test_the_scaled_out_system_is_all_there(compose: dict[str, Any]) -> None:
    services = compose["services"]
    images = " ".join(str(s.get("image", "")) for s in services.values())
    assert "postgres" in images and "redis" in images and "nginx" in images
    commands = [svc["command"][1] for svc in taskroom_services(compose).values()]
    assert commands.count("serve") == 2, "two API replicas"
    assert "worker" in commands and "ssh-serve" in commands
    proxy_conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "Upgrade $http_upgrade" in proxy_conf, "the proxy passes websockets"
    for name, svc in taskroom_services(compose).items():
        if svc["command"][1] != "db":
            assert "healthcheck" in svc, name
    assert all("healthcheck" in services[n] for n in ("postgres", "redis", "proxy"))


def test_every_command_is_a_real_subcommand(compose: dict[str, Any]) -> None:
    assert set(parser_commands()) == CONTRACT_COMMANDS
    commands = {name: svc["command"] for name, svc in taskroom_services(compose).items()}
    assert commands == SERVICE_COMMANDS
    for name, command in commands.items():
        try:
            build_parser().parse_args(command[1:])
        except SystemExit as exc:  # argparse exits 2 on bad usage
            pytest.fail(f"{name}: `{' '.join(command)}` is not valid usage ({exc})")


def test_every_variable_set_is_read_by_the_code(compose: dict[str, Any]) -> None:
    ours = source_text([ROOT / d for d in SOURCE_DIRS])
    for name, svc in taskroom_services(compose).items():
        for variable in svc.get("environment", {}):
            if variable in LIBRARY_VARIABLES:
                assert variable in source_text([LIBRARY_VARIABLES[variable]]), variable
            else:
                assert re.search(rf"[\"']{variable}[\"']", ours), f"{name}: nobody reads {variable}"


def test_secrets_come_from_the_environment(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        for variable, value in svc.get("environment", {}).items():
            if "SECRET" in variable or "PASSWORD" in variable:
                assert str(value).startswith("${"), f"{name}: {variable} is hard-coded"
            if "DATABASE_URL" in variable:
                assert "${POSTGRES_PASSWORD" in str(value), f"{name}: {variable} has a password"


def compose_address(compose: dict[str, Any], service: str) -> str:
    address: str = compose["services"][service]["networks"]["default"]["ipv4_address"]
    return address


def test_a_forged_forwarded_for_does_not_escape_the_login_limit(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """uvicorn with the compose file's FORWARDED_ALLOW_IPS, reached the way nginx reaches it.

    Here the proxy and the SSH gateway are loopback aliases standing for their compose
    addresses; the X-Forwarded-For chains are the ones nginx builds (the client's header,
    then the address nginx saw).
    """
    trusted = compose["services"]["api-1"]["environment"]["FORWARDED_ALLOW_IPS"].split(",")
    proxy, gateway = compose_address(compose, "proxy"), compose_address(compose, "ssh")
    assert sorted(trusted) == sorted([proxy, gateway]), "trust exactly nginx and the gateway"
    assert compose["services"]["api-2"]["environment"]["FORWARDED_ALLOW_IPS"] == ",".join(trusted)
    alias = {proxy: "127.0.0.2", gateway: "127.0.0.3"}
    env = server_env(tmp_path, None, FORWARDED_ALLOW_IPS=",".join(alias[a] for a in trusted))
    server = Server(env).start()
    nginx = httpx.Client(
        base_url=server.url, transport=httpx.HTTPTransport(local_address=alias[proxy])
    )

    def failed_login(chain: str, client: httpx.Client = nginx) -> int:
        r = client.post(
            f"{server.url}/api/auth/login",
            json={"username": f"ghost{uuid.uuid4().hex[:8]}", "password": "wrong-password"},
            headers={"X-Forwarded-For": chain},
        )
        return r.status_code

    try:
        # A client rotating a forged leftmost entry is still counted by its own address.
        for i in range(LIMIT):
            assert failed_login(f"10.66.0.{i}, 203.0.113.7") == 401
        assert failed_login("10.66.1.1, 203.0.113.7") == 429
        # The SSH gateway names its client; nginx appends the gateway: the client counts.
        for _ in range(LIMIT):
            assert failed_login(f"198.51.100.9, {alias[gateway]}") == 401
        assert failed_login(f"198.51.100.9, {alias[gateway]}") == 429
        # From any other peer the header is not believed at all.
        with httpx.Client() as direct:
            assert failed_login("203.0.113.7", direct) == 401
    finally:
        nginx.close()
        server.stop()


def test_the_image_holds_every_package_the_services_run() -> None:
    """Every package the wheel ships, but the tests and benchmarks, is copied into the image."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = set(project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M))
    assert copied == shipped - {"tests", "bench"}
