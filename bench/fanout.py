"""Room fan-out latency and memory: sockets on one replica, writes through the other.

Run: `uv run python bench/fanout.py [--sockets 200] [--rooms 1] [--rate 20] [--seconds 15]`
(the scale run of issue 13: `--sockets 2000 --rooms 20 --rate 100 --processes 8`).

Starts its own Redis and PostgreSQL database and two `taskroom serve` replicas, A and B. All
the sockets connect to B, spread over `--rooms` projects and `--processes` client processes;
one writer per room PATCHes that room's task over HTTP through A, `--rate` writes a second in
all. Latency is from the writer's HTTP response to the receipt at each socket (both on the
machine-wide monotonic clock; an event that beats the response counts as 0), and from the
request. Beside it, the same run measures a raw Redis XADD → XREAD round trip at the same
rate: the figure to compare against. Lost and duplicated events are counted per socket, and
B's resident memory is read before the sockets come, once they are subscribed, and at the end.
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
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    RedisServer,
    Server,
    postgres_database,
    register,
    server_env,
)

CONNECTING = 20  # handshakes + subscribes in flight per client process
OPEN_TIMEOUT = 60.0  # a loaded machine answers thousands of handshakes slowly


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


class _Data(msgspec.Struct):
    version: int = 0


class _Frame(msgspec.Struct):
    """The part of a frame the client looks at; the rest is skipped by the decoder."""

    type: str
    event: str = ""
    room: str = ""
    data: _Data = msgspec.field(default_factory=_Data)


async def client_main(spec: dict[str, Any]) -> None:
    from websockets.asyncio.client import connect

    decode = msgspec.json.Decoder(_Frame).decode
    received: list[tuple[int, int, float]] = []
    sockets: list[tuple[int, Any]] = []
    gate = asyncio.Semaphore(CONNECTING)

    async def join(i: int, url: str, token: str, room: str) -> None:
        async with gate:
            ws = await connect(
                url,
                additional_headers={"Authorization": f"Bearer {token}"},
                open_timeout=OPEN_TIMEOUT,
            )
            await ws.send(json.dumps({"type": "subscribe", "room": room, "since": None}))
            while (frame := decode(await ws.recv())).type != "subscribed":
                if frame.type == "error":
                    raise RuntimeError(f"subscribe refused: {frame}")
            sockets.append((i, ws))

    await asyncio.gather(*(join(i, *s) for i, s in enumerate(spec["sockets"])))

    async def reader(i: int, ws: Any) -> None:
        async for raw in ws:
            now = time.monotonic()
            frame = decode(raw)
            if frame.type == "event" and frame.event == "task:updated":
                received.append((i, frame.data.version, now))

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
    url: str, token: str, task_ids: list[str], rate: float, seconds: float
) -> list[dict[int, tuple[float, float]]]:
    """A writer per task, `rate` PATCHes a second in all; per task: version -> (sent, answered)."""
    import httpx

    answered: list[dict[int, tuple[float, float]]] = [{} for _ in task_ids]
    each = rate / len(task_ids)
    n = int(each * seconds)

    async def one(k: int, http: httpx.AsyncClient) -> None:
        start = time.monotonic() + k / rate  # the writers take turns
        for i in range(n):
            await asyncio.sleep(max(0.0, start + i / each - time.monotonic()))
            sent = time.monotonic()
            r = await http.patch(f"/api/tasks/{task_ids[k]}", json={"title": f"update {i}"})
            r.raise_for_status()
            answered[k][r.json()["version"]] = (sent, time.monotonic())

    limits = httpx.Limits(max_connections=len(task_ids))
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
    ) as http:
        await asyncio.gather(*(one(k, http) for k in range(len(task_ids))))
    return answered


def rss_mb(server: Server) -> float:
    """The replica's resident memory, from /proc (Linux)."""
    assert server.proc is not None
    with open(f"/proc/{server.proc.pid}/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb / 1024


def p99(samples: list[float]) -> float:
    return sorted(samples)[int(0.99 * len(samples))] if samples else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=200, help="all on replica B")
    parser.add_argument("--rooms", type=int, default=1, help="projects the sockets spread over")
    parser.add_argument("--rate", type=float, default=20.0, help="writes a second, all rooms")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(client_main(json.loads(args.client)))
        return

    redis = RedisServer().start()
    tmp = Path(tempfile.mkdtemp(prefix="taskroom-bench-"))
    with postgres_database() as db:
        a = Server(server_env(tmp, db, redis.url)).start(timeout=120)
        b = Server(server_env(tmp, db, redis.url), extra_args=["--no-migrate"]).start(timeout=120)
        clients: list[subprocess.Popen[str]] = []
        try:
            owner = register(a.url)
            viewers = [register(a.url) for _ in range(10)]
            rooms, tasks = [], []
            for r in range(args.rooms):
                pid = owner.client.post("/api/projects", json={"name": f"Bench {r}"}).json()["id"]
                for v in viewers:
                    owner.client.post(
                        f"/api/projects/{pid}/members",
                        json={"username": v.username, "role": "viewer"},
                    ).raise_for_status()
                task = owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "t"})
                rooms.append(f"project:{pid}")
                tasks.append(task.json()["id"])
            # socket i: room i % rooms, in process i % processes
            sockets = [
                (b.ws_url, viewers[i % len(viewers)].token, rooms[i % args.rooms])
                for i in range(args.sockets)
            ]
            rss_idle = rss_mb(b)
            started = time.monotonic()
            for p in range(args.processes):
                spec = {"sockets": sockets[p :: args.processes]}
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
            joined = time.monotonic() - started
            rss_subscribed = rss_mb(b)
            n = int(args.rate * args.seconds)
            print(
                f"{args.sockets} sockets on replica B in {args.rooms} room(s) and "
                f"{args.processes} processes (subscribed in {joined:.1f} s); "
                f"{n} writes at {args.rate:g}/s through replica A"
            )

            raw = asyncio.run(raw_redis_round_trip(redis.url, args.rate, n))
            answered = asyncio.run(write(a.url, owner.token, tasks, args.rate, args.seconds))
            time.sleep(3)
            rss_end = rss_mb(b)
            latencies: list[float] = []
            from_request: list[float] = []
            lost = duplicated = expected = 0
            for p, c in enumerate(clients):
                out, _ = c.communicate("stop\n", timeout=120)
                result = json.loads(out.strip().splitlines()[-1])
                per_socket: dict[int, dict[int, list[float]]] = {
                    i: {} for i in range(result["count"])
                }
                for sock, version, at in result["received"]:
                    per_socket[sock].setdefault(version, []).append(at)
                for sock, seen in per_socket.items():
                    mine = answered[(p + sock * args.processes) % args.rooms]  # i % rooms
                    expected += len(mine)
                    for version, (sent, answer) in mine.items():
                        if version not in seen:
                            lost += 1
                            continue
                        at = seen[version][0]
                        latencies.append(max(0.0, at - answer))
                        from_request.append(at - sent)
                    duplicated += sum(len(times) - 1 for times in seen.values())
            print(f"raw Redis XADD->XREAD   {percentiles(raw)}")
            print(f"HTTP response->receipt  {percentiles(latencies)}")
            print(f"HTTP request->receipt   {percentiles(from_request)}")
            if raw:
                print(f"p99 ratio (fan-out / raw Redis): {p99(latencies) / p99(raw):.1f}x")
            print(f"lost {lost}  duplicated {duplicated}  (of {expected} deliveries)")
            print(
                f"replica B RSS: {rss_idle:.0f} MB idle, {rss_subscribed:.0f} MB with the "
                f"sockets subscribed, {rss_end:.0f} MB after the writes "
                f"({(rss_subscribed - rss_idle) * 1024 / max(1, args.sockets):.0f} KB a socket)"
            )
        finally:
            for c in clients:
                if c.poll() is None:
                    c.kill()
            a.stop()
            b.stop()
            redis.stop()


if __name__ == "__main__":
    main()
