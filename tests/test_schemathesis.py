"""schemathesis (its CLI, in a subprocess) against the live OpenAPI schema, authenticated.

Path ids point at a real project, task and member, so generated requests reach the
service code instead of bouncing off 404s. The run is bounded (few examples per route)
and uses its own client address, so its failed logins never rate-limit other tests.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support import Server, register

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def test_every_route_conforms_and_never_5xx(server: Server, tmp_path: Path) -> None:
    owner, member = register(server.url), register(server.url)
    pid = owner.client.post("/api/projects", json={"name": "Fuzzed"}).json()["id"]
    tid = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "Fuzzed"}).json()["id"]
    owner.client.post(
        f"/api/projects/{pid}/members", json={"username": member.username, "role": "viewer"}
    )
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f'[parameters]\nproject_id = "{pid}"\ntask_id = "{tid}"\nuser_id = "{member.id}"\n'
    )
    proc = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            f"{server.url}/schema/openapi.json",
            "--header",
            f"Authorization: Bearer {owner.token}",
            "--header",
            "X-Forwarded-For: 10.250.250.250",
            "--checks",
            CHECKS,
            "--phases",
            "coverage,fuzzing",
            "--max-examples",
            "5",
            "--seed",
            "20261128",
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    output = proc.stdout + proc.stderr
    print(output)  # shown by pytest when the test fails
    assert proc.returncode == 0, "schemathesis found problems (see the captured output)"
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected and tested, output[-3000:]
    assert int(tested.group(1)) == int(selected.group(2)) >= 17, output[-3000:]
    owner.close()
    member.close()
