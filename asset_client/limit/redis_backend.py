"""The ``redis://`` backend: one send clock per key for processes on many hosts behind
one egress IP (containers, pods, servers behind NAT).

Every step is one atomic Lua script that reads the time from the Redis server
(``TIME``), so the hosts' clocks never matter.  Redis keys are named by a hash of the
API key (and the optional scope), never by the key.  The client is the asyncio API of
the ``redis`` package (``pip install 'asset-client[redis]'``).

Sharp edges: if Redis cannot be reached, `LimiterUnavailableError` is raised and
nothing is sent (never a silent fallback to an unshared clock).  A state that Redis
lost (restart, eviction) is taken as "a send just happened": the first send waits one
interval instead of risking a burst.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from asset_client.errors import InvalidParameterError
from asset_client.limit.base import Lane, LimiterUnavailableError, Verdict

if TYPE_CHECKING:  # pragma: no cover
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

__all__ = ["SCRIPT", "RedisLimiter", "redacted_url"]

_MICRO = 1_000_000
_IDLE_TTL_MS = 120_000  # a key's state outlives its last send or pause by this much

# KEYS[1]: the key's state (a hash).  ARGV: op ("peek" | "claim" | "pause"), now in µs
# ("" = the server's TIME), served pause end in µs ("" = none), pause µs, then
# lane name / interval µs / slack µs triples.  Returns {claimed 0|1, wait µs, pause end µs
# or -1}.  A claim records each lane's slot: the due time (last + interval) when the send is
# at most the slack late, else now less the slack (`clock.claim`, the same rule).
SCRIPT = """
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local op = ARGV[1]
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  -- A lost state (restart, eviction, expiry) is taken as a send just now.
  redis.call('HSET', key, 'pause', 0, 'fresh', now)
end
local fresh = tonumber(redis.call('HGET', key, 'fresh') or '-1')
local pause = tonumber(redis.call('HGET', key, 'pause') or '0')
local ttl = tonumber(ARGV[5])
if op == 'pause' then
  local untl = now + tonumber(ARGV[4])
  if untl > pause then redis.call('HSET', key, 'pause', untl); pause = untl end
  redis.call('PEXPIRE', key, math.floor((pause - now) / 1000) + ttl)
  return {0, 0, -1}
end
if pause > now and (ARGV[3] == '' or pause > tonumber(ARGV[3])) then
  return {0, pause - now, pause}
end
local ready = now
local due = {}
for i = 6, #ARGV, 3 do
  local interval = tonumber(ARGV[i + 1])
  local last = tonumber(redis.call('HGET', key, 'last:' .. ARGV[i]) or fresh)
  due[i] = last + interval
  if last + interval > ready then ready = last + interval end
end
if ready > now then return {0, ready - now, -1} end
if op == 'claim' then
  for i = 6, #ARGV, 3 do
    local slot = now - tonumber(ARGV[i + 2])
    if due[i] > slot then slot = due[i] end
    redis.call('HSET', key, 'last:' .. ARGV[i], slot)
  end
  redis.call('PEXPIRE', key, ttl)
  return {1, 0, -1}
end
return {0, 0, -1}
"""


def redacted_url(url: str) -> str:
    """The URL without a password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisLimiter:
    """Send clocks in Redis at ``url`` (``redis://host:port/db``, ``rediss://`` for TLS).

    ``scope`` (or ``?scope=`` in the URL) labels one egress IP: hosts behind different
    IPs have separate CoinW budgets and may use separate scopes.  ``now_override`` is
    for tests of the script only: it replaces the server's ``TIME``.
    """

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        scope: str | None = None,
        timeout: float = 2.0,
        now_override: Any = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise InvalidParameterError(
                f"a Redis limiter needs redis://host:port/db, got {redacted_url(url)!r}",
                field="limiter",
            )
        query = parse_qs(parts.query)
        url_scope = query.pop("scope", [None])[0]
        self.scope = scope if scope is not None else url_scope
        self._url = urlunsplit(
            parts._replace(
                query="&".join(f"{k}={v}" for k, values in query.items() for v in values)
            )
        )
        self._timeout = timeout
        self._now_override = now_override
        # One connection pool per event loop (redis' asyncio client is bound to its loop);
        # the script is sent once and run by its SHA after that.
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[Redis, AsyncScript]
        ] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"RedisLimiter({redacted_url(self._url)!r}, scope={self.scope!r})"

    def _client(self) -> tuple[Redis, AsyncScript]:
        loop = asyncio.get_running_loop()
        pair = self._clients.get(loop)
        if pair is None:
            try:
                from redis.asyncio import Redis
            except ImportError:  # pragma: no cover - depends on the installed extras
                raise LimiterUnavailableError(
                    "the Redis limiter needs the redis package: pip install 'asset-client[redis]'"
                ) from None
            client = Redis.from_url(
                self._url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
            )
            pair = self._clients[loop] = (client, client.register_script(SCRIPT))
        return pair

    def _redis_key(self, key: str) -> str:
        # The hash tag keeps a key's state in one slot on Redis Cluster.
        return f"asset-client:{{{key}}}"

    async def _run(
        self, op: str, key: str, lanes: tuple[Lane, ...], served: float | None, pause: float = 0.0
    ) -> list[int]:
        now = "" if self._now_override is None else str(int(self._now_override() * _MICRO))
        args: list[str | int] = [
            op,
            now,
            "" if served is None else int(served * _MICRO),
            int(pause * _MICRO),
            _IDLE_TTL_MS,
        ]
        for lane in lanes:
            args += [lane.name, max(1, int(lane.interval * _MICRO)), int(lane.slack * _MICRO)]
        try:
            from redis.exceptions import RedisError
        except ImportError:  # pragma: no cover
            raise LimiterUnavailableError("the redis package is not installed") from None
        _, script = self._client()
        try:
            result = await script(keys=[self._redis_key(key)], args=args)
        except (RedisError, OSError) as exc:
            raise LimiterUnavailableError(
                f"Redis limiter at {redacted_url(self._url)} unavailable ({type(exc).__name__}): "
                "nothing was sent"
            ) from None
        return [int(x) for x in result]

    @staticmethod
    def _verdict(result: list[int]) -> Verdict:
        claimed, wait, pause_end = result
        return Verdict(
            wait=wait / _MICRO,
            claimed=bool(claimed),
            pause_end=None if pause_end < 0 else pause_end / _MICRO,
        )

    async def peek(self, key: str, lanes: tuple[Lane, ...], served: float | None) -> Verdict:
        return self._verdict(await self._run("peek", key, lanes, served))

    async def claim(self, key: str, lanes: tuple[Lane, ...], served: float | None) -> Verdict:
        return self._verdict(await self._run("claim", key, lanes, served))

    async def pause(self, key: str, seconds: float) -> None:
        await self._run("pause", key, (), None, seconds)

    async def aclose(self) -> None:
        """Close this loop's connection to Redis."""
        loop = asyncio.get_running_loop()
        pair = self._clients.pop(loop, None)
        if pair is not None:
            await pair[0].aclose()
