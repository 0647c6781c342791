"""Room fan-out latency: 2 replicas, 200 subscribers in separate processes, 20 updates/s.

Run: `uv run python bench/fanout.py [--subscribers 200] [--rate 20] [--seconds 15]`.

Starts its own Redis and PostgreSQL database and two `taskroom serve` replicas, spreads the
subscribers over both replicas in 4 client processes, and has one writer PATCH a task over
HTTP at a steady rate through replica one. Latency is from the writer's HTTP response to the
receipt at each subscriber (both on the machine-wide monotonic clock; an event that beats
the response counts as 0). Beside it, the same run measures a raw Redis XADD → XREAD round
trip at the same rate: the figure to compare against. Lost and duplicated events are counted
per subscriber.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    RedisServer,
    Server,
    postgres_database,
    register,
    server_env,
)

PROCESSES = 4


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (
        f"p50 {pick(0.50):6.2f} ms  p99 {pick(0.99):6.2f} ms  max {ordered[-1] * 1000:6.2f} ms"
        f"  (n={len(ordered)}, mean {statistics.fmean(ordered) * 1000:.2f} ms)"
    )


# --- client process ------------------------------------------------------------------------


async def client_main(spec: dict[str, Any]) -> None:
    from websockets.asyncio.client import connect

    received: list[tuple[int, int, float]] = []
    sockets = []
    for i, (url, token) in enumerate(spec["sockets"]):
        ws = await connect(url, additional_headers={"Authorization": f"Bearer {token}"})
        await ws.send(json.dumps({"type": "subscribe", "room": spec["room"], "since": None}))
        while json.loads(await ws.recv())["type"] != "subscribed":
            pass
        sockets.append((i, ws))

    async def reader(i: int, ws: Any) -> None:
        async for raw in ws:
            now = time.monotonic()
            frame = json.loads(raw)
            if frame["type"] == "event" and frame["event"] == "task:updated":
                received.append((i, frame["data"]["version"], now))

    tasks = [asyncio.create_task(reader(i, ws)) for i, ws in sockets]
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # the parent says stop
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"count": len(sockets), "received": received}), flush=True)


# --- the run -------------------------------------------------------------------------------


async def raw_redis_round_trip(url: str, rate: float, n: int) -> list[float]:
    from redis.asyncio import Redis

    pub, sub = Redis.from_url(url), Redis.from_url(url)
    key = "bench:raw"
    await pub.delete(key)
    samples: list[float] = []

    async def read() -> None:
        last = "0-0"
        while len(samples) < n:
            reply = await sub.xread({key: last}, block=1000)
            assert isinstance(reply, list)  # RESP2's shape: [[stream, [(id, fields), …]], …]
            for _, rows in reply:
                for entry_id, fields in rows:
                    samples.append(time.monotonic() - float(fields[b"t"]))
                    last = entry_id

    reader = asyncio.create_task(read())
    start = time.monotonic()
    for i in range(n):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        await pub.xadd(key, {"t": repr(time.monotonic())})
    await asyncio.wait_for(reader, 10)
    await pub.aclose()
    await sub.aclose()
    return samples


async def write(
    url: str, token: str, task_id: str, rate: float, n: int
) -> dict[int, tuple[float, float]]:
    """PATCH at a steady rate; each new version -> (request sent, response read)."""
    import httpx

    answered: dict[int, tuple[float, float]] = {}
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        start = time.monotonic()
        for i in range(n):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            sent = time.monotonic()
            r = await http.patch(f"/api/tasks/{task_id}", json={"title": f"update {i}"})
            r.raise_for_status()
            answered[r.json()["version"]] = (sent, time.monotonic())
    return answered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(client_main(json.loads(args.client)))
        return

    n = int(args.rate * args.seconds)
    redis = RedisServer().start()
    tmp = Path(tempfile.mkdtemp(prefix="taskroom-bench-"))
    with postgres_database() as db:
        one = Server(server_env(tmp, db, redis.url)).start(timeout=120)
        two = Server(server_env(tmp, db, redis.url), extra_args=["--no-migrate"]).start(timeout=120)
        clients: list[subprocess.Popen[str]] = []
        try:
            owner = register(one.url)
            pid = owner.client.post("/api/projects", json={"name": "Bench"}).json()["id"]
            task = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"}).json()
            viewers = [register(one.url) for _ in range(10)]
            for v in viewers:
                owner.client.post(
                    f"/api/projects/{pid}/members", json={"username": v.username, "role": "viewer"}
                ).raise_for_status()
            sockets = [
                ((one, two)[i % 2].ws_url, viewers[i % len(viewers)].token)
                for i in range(args.subscribers)
            ]
            for p in range(PROCESSES):
                spec = {"room": f"project:{pid}", "sockets": sockets[p::PROCESSES]}
                clients.append(
                    subprocess.Popen(
                        [sys.executable, __file__, "--client", json.dumps(spec)],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                )
            for c in clients:
                assert c.stdout is not None and c.stdout.readline().strip() == "ready"
            print(
                f"{args.subscribers} subscribers on 2 replicas in {PROCESSES} processes; "
                f"{n} updates at {args.rate:g}/s"
            )

            raw = asyncio.run(raw_redis_round_trip(redis.url, args.rate, n))
            answered = asyncio.run(write(one.url, owner.token, task["id"], args.rate, n))
            time.sleep(3)
            latencies: list[float] = []
            from_request: list[float] = []
            lost = duplicated = 0
            for c in clients:
                out, _ = c.communicate("stop\n", timeout=60)
                result = json.loads(out.strip().splitlines()[-1])
                per_socket: dict[int, Counter[int]] = {i: Counter() for i in range(result["count"])}
                for sock, version, at in result["received"]:
                    per_socket[sock][version] += 1
                    if version in answered:
                        sent, answer = answered[version]
                        latencies.append(max(0.0, at - answer))
                        from_request.append(at - sent)
                for seen in per_socket.values():
                    lost += sum(1 for v in answered if v not in seen)
                    duplicated += sum(k - 1 for k in seen.values() if k > 1)
            print(f"raw Redis XADD->XREAD   {percentiles(raw)}")
            print(f"HTTP response->receipt  {percentiles(latencies)}")
            print(f"HTTP request->receipt   {percentiles(from_request)}")
            p99_raw = sorted(raw)[int(0.99 * len(raw))] if raw else 0
            p99 = sorted(latencies)[int(0.99 * len(latencies))] if latencies else 0
            if p99_raw:
                print(f"p99 ratio (fan-out / raw Redis): {p99 / p99_raw:.1f}x")
            print(f"lost {lost}  duplicated {duplicated}  (of {n * args.subscribers} deliveries)")
        finally:
            for c in clients:
                if c.poll() is None:
                    c.kill()
            one.stop()
            two.stop()
            redis.stop()


if __name__ == "__main__":
    main()
