"""Publishing committed events into a room's Redis stream: shared by the API and the worker.

Framework-free on purpose (redis-py, msgspec and `api.events` only): the export worker, a
separate process with no Litestar app, publishes `export:updated` with the very same code
the API's after-commit effect uses::

    from api.events import DomainEvent
    from api.rooms.publisher import RoomPublisher

    publisher = RoomPublisher(redis)          # any redis.asyncio.Redis client
    await publisher.publish(DomainEvent(name="export:updated", project_id=job.project_id,
                                        data=job_as_dict, actor=None))

Inside the API process (no Redis, or any code holding the runtime), hand the event to
`runtime.dispatcher.dispatch([event])` instead: the rooms effect publishes it either way.

Each room `project:<id>` is one Redis stream, `taskroom:room:project:<id>:events`, whose
entry ids are the cursors clients resume from. Redis streams are used directly rather than
Litestar's channels stream backend because rooms need what that backend does not give:
ordering by commit (below), retention of at least `keep_events` events *and* `keep_seconds`
(it expires a stream 60 s after the last publish), and knowing when a cursor has been
trimmed away (`…:floor`, the newest trimmed id) so the client gets `resync`, never a silent gap.

Ordering: an event numbered by `api.rooms.sequence` (DomainEvent.extra["seq"]) is appended
only after its predecessor; one that overtook it is held in `…:held`. A predecessor that
never arrives (its replica died between commit and publish) stops holding the others back
after `hold_ms`. Unnumbered events (the worker's `export:updated`) are appended at once.
An event numbered but not meant for clients (`project:created`) only advances the number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec
from redis.asyncio import Redis

from api.events import DomainEvent
from api.wire import Actor, EventName, room_of

SEQ = "seq"
# Internal events: they advance the room's sequence but are never sent to clients.
INTERNAL_EVENTS: frozenset[str] = frozenset({"project:created"})

Outcome = Literal["duplicate", "appended", "held"]
_OUTCOMES: tuple[Outcome, ...] = ("duplicate", "appended", "held")


class StoredEvent(msgspec.Struct, kw_only=True):
    """What a stream entry holds: the room event frame without `type`, `room`, `cursor`."""

    event: EventName
    data: dict[str, Any]
    actor: Actor | None
    ts: dt.datetime


USER_CHANNELS = "taskroom:user:"  # + user id: a Redis pub/sub channel per user


def user_channel(user_id: object) -> str:
    """The user's channel (contract §8's live frames); the worker publishes to it too."""
    return f"{USER_CHANNELS}{user_id}"


def room_key(room: str, part: str) -> str:
    return f"taskroom:room:{room}:{part}"


def encode_event(event: DomainEvent, ts: dt.datetime | None = None) -> bytes:
    return msgspec.json.encode(
        StoredEvent(
            event=event.name,
            data=event.data,
            actor=event.actor,
            ts=ts or dt.datetime.now(dt.UTC),
        )
    )


def encode_revoked(event: DomainEvent) -> str:
    return ",".join(str(u) for u in event.revoked_ids)


_PUBLISH = """
local stream, seqkey, held, floor = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local payload, revoked = ARGV[2], ARGV[3]
local ttl, keep_count = tonumber(ARGV[4]), tonumber(ARGV[5])
local keep_ms, hold_ms = tonumber(ARGV[6]), tonumber(ARGV[7])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function parse(id)
  local ms, n = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(n)
end

local function older(a, b)
  local am, an = parse(a)
  local bm, bn = parse(b)
  return am < bm or (am == bm and an < bn)
end

local function append(p, r)
  if p ~= '' then redis.call('XADD', stream, '*', 'e', p, 'r', r) end
end

local function release(last)
  while true do
    local k = 'p' .. (last + 1)
    local p = redis.call('HGET', held, k)
    if not p then return last end
    append(p, redis.call('HGET', held, 'r' .. (last + 1)))
    redis.call('HDEL', held, k, 'r' .. (last + 1))
    last = last + 1
  end
end

local function lowest_held()
  local lowest = nil
  for _, k in ipairs(redis.call('HKEYS', held)) do
    if string.sub(k, 1, 1) == 'p' then
      local s = tonumber(string.sub(k, 2))
      if lowest == nil or s < lowest then lowest = s end
    end
  end
  return lowest
end

-- keep the newest keep_count events and everything younger than keep_ms
local function trim()
  local n = redis.call('XLEN', stream)
  if n <= keep_count + 100 then return end
  -- all younger than keep_ms: nothing goes, and a burst (an import's thousands of events)
  -- must not read the stream's whole tail on every append
  local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
  if first[1] and not older(first[1][1], (now - keep_ms) .. '-0') then return end
  local old = redis.call('XRANGE', stream, '-', '+', 'COUNT', n - keep_count)
  local ms, seq = parse(old[#old][1])
  local past_count = ms .. '-' .. (seq + 1)
  local past_age = (now - keep_ms) .. '-0'
  local minid = past_count
  if older(past_age, past_count) then minid = past_age end
  local gone = redis.call('XREVRANGE', stream, '(' .. minid, '-', 'COUNT', 1)
  if gone[1] then redis.call('SET', floor, gone[1][1], 'EX', ttl) end
  redis.call('XTRIM', stream, 'MINID', minid)
end

local result = 1
local last = tonumber(redis.call('GET', seqkey) or '-1')
if ARGV[1] ~= '' then
  local seq = tonumber(ARGV[1])
  if last < 0 then last = seq - 1 end
  if seq <= last then
    result = 0
  elseif seq == last + 1 then
    append(payload, revoked)
    last = release(seq)
  else
    redis.call('HSET', held, 'p' .. seq, payload, 'r' .. seq, revoked)
    redis.call('HSETNX', held, 'since', now)
    result = 2
  end
else
  append(payload, revoked)
end
local since = redis.call('HGET', held, 'since')
if since and now - tonumber(since) >= hold_ms then
  local lowest = lowest_held()
  while lowest do
    last = release(lowest - 1)
    lowest = lowest_held()
  end
end
if redis.call('HLEN', held) <= 1 then
  redis.call('DEL', held)
else
  redis.call('EXPIRE', held, ttl)
end
if last >= 0 then redis.call('SET', seqkey, last, 'EX', ttl) end
if redis.call('EXISTS', stream) == 1 then
  trim()
  redis.call('EXPIRE', stream, ttl)
  redis.call('EXPIRE', floor, ttl)
end
return result
"""


class RoomPublisher:
    """Appends committed events to their room's stream, in commit order (see module doc)."""

    def __init__(
        self,
        redis: Redis,
        *,
        keep_events: int = 1000,
        keep_seconds: int = 600,
        ttl_seconds: int = 24 * 3600,
        hold_ms: int = 2000,
    ) -> None:
        self._script = redis.register_script(_PUBLISH)
        self._limits = [ttl_seconds, keep_events, keep_seconds * 1000, hold_ms]

    async def publish(self, event: DomainEvent) -> Outcome:
        seq = event.extra.get(SEQ)
        internal = event.name in INTERNAL_EVENTS
        if internal and seq is None:
            return "duplicate"
        payload = b"" if internal else encode_event(event)
        return await self._run(
            room_of(event.project_id),
            "" if seq is None else str(seq),
            payload,
            encode_revoked(event),
        )

    async def release_held(self, room: str) -> None:
        """Append held events whose predecessor is overdue (after a `held` outcome)."""
        await self._run(room, "", b"", "")

    async def _run(self, room: str, seq: str, payload: bytes, revoked: str) -> Outcome:
        keys = [room_key(room, part) for part in ("events", "seq", "held", "floor")]
        result = await self._script(keys=keys, args=[seq, payload, revoked, *self._limits])
        return _OUTCOMES[int(result)]
