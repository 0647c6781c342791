"""`taskroom demo --no-tui`: embedded server on a free port, migrated and seeded once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.support import ROOT, TASKROOM


def start_demo(data: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "TASKROOM_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}
    env.pop("TASKROOM_DATABASE_URL", None)
    env.pop("TASKROOM_REDIS_URL", None)
    proc = subprocess.Popen(
        [*TASKROOM, "demo", "--no-tui"], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "serving at http://127.0.0.1:" in line, line
    url = line.split("serving at ")[1].split()[0]
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the demo server never answered"
        time.sleep(0.2)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(20)


def test_demo_seeds_once_and_serves(tmp_path: Path) -> None:
    proc, url = start_demo(tmp_path)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"API docs: {url}/schema"
        login = httpx.post(
            f"{url}/api/auth/login", json={"username": "demo", "password": "demo-password"}
        )
        assert login.status_code == 200
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        projects = httpx.get(f"{url}/api/projects", headers=headers).json()
        assert [p["name"] for p in projects] == ["Taskroom launch"]
        counts = projects[0]["task_counts"]
        assert sum(counts.values()) == 30 and all(counts.values())
        httpx.post(
            f"{url}/api/projects/{projects[0]['id']}/tasks", json={"title": "Mine"}, headers=headers
        )
        assert httpx.get(f"{url}/health").json()["redis"] == "disabled"
    finally:
        stop(proc)
    proc, url = start_demo(tmp_path)  # a restart keeps what the visitor did, seeds nothing
    try:
        token = httpx.post(
            f"{url}/api/auth/login", json={"username": "demo", "password": "demo-password"}
        ).json()["access_token"]
        projects = httpx.get(
            f"{url}/api/projects", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert len(projects) == 1 and sum(projects[0]["task_counts"].values()) == 31
    finally:
        stop(proc)
    assert (tmp_path / "taskroom.db").exists()
