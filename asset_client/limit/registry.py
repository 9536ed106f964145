"""`LimiterRegistry`: which limiter each API key gets, and what each key remembers.

One key is one budget however the server's host is spelled, so every client of a key in
one registry shares its limiters (one per endpoint lane), its penalty memory and the
backend a spec names.  A client holds the key (`KeyHold`) from creation to close; while
any client holds it, its rate, global rate and backend are fixed, and asking for others
raises `InvalidParameterError`: two clocks for one server-side limit cannot both hold.
Once none does, the next hold may set others (the send clock and the pause live in the
backend under the key's hash, so a new rate still keeps its distance from the last send).

Sharp edge: the registry is per process, not global to the machine (the backend is what
is shared between processes).  Clients use `default_registry()`: the process's own,
unless `use_registry` scoped another to the current context (a test suite gives each
test its own this way), or a client was given one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from asset_client.errors import AssetClientError, InvalidParameterError
from asset_client.limit.base import LimiterBackend
from asset_client.limit.limiter import KeyLimiter, KeyPenalty, RateLimit, key_id
from asset_client.limit.select import backend_from_spec, requested_spec

__all__ = [
    "KeyHold",
    "LimiterRegistry",
    "default_registry",
    "resolve_limiter",
    "use_registry",
]


class _Key:
    """One key in a registry: its settings, how many hold it, and its lanes."""

    __slots__ = ("backend", "global_rate", "lanes", "name", "penalty", "rate", "users")

    def __init__(
        self,
        name: str,
        rate: RateLimit,
        global_rate: RateLimit | None,
        backend: LimiterBackend,
        penalty: KeyPenalty,
    ) -> None:
        self.name = name
        self.rate = rate
        self.global_rate = global_rate
        self.backend = backend
        self.penalty = penalty
        self.users = 0
        self.lanes: dict[str, KeyLimiter] = {}

    def differs(
        self, rate: RateLimit, global_rate: RateLimit | None, backend: LimiterBackend
    ) -> bool:
        return self.rate != rate or self.global_rate != global_rate or self.backend is not backend

    def check(
        self, rate: RateLimit, global_rate: RateLimit | None, backend: LimiterBackend
    ) -> None:
        """Refuse settings other than the ones the key's current holders use."""
        users = self.users
        if self.rate != rate:
            raise InvalidParameterError(
                f"this API key is already limited at {self.rate} by {users} open "
                f"client(s) in this process; cannot also use {rate} (close them first)",
                field="rate_limit",
            )
        if self.global_rate != global_rate:
            raise InvalidParameterError(
                f"this API key already has global_rate_limit={self.global_rate} in "
                f"{users} open client(s) in this process; cannot also use {global_rate} "
                "(close them first)",
                field="global_rate_limit",
            )
        if self.backend is not backend:
            raise InvalidParameterError(
                f"this API key already uses the {self.backend.name} limiter in {users} "
                f"open client(s) in this process; cannot also use {backend!r} "
                "(close them first)",
                field="limiter",
            )

    def lane(self, bucket: str) -> KeyLimiter:
        limiter = self.lanes.get(bucket)
        if limiter is None:
            limiter = self.lanes[bucket] = KeyLimiter(
                self.rate,
                self.backend,
                key=self.name,
                bucket=bucket,
                global_rate=self.global_rate,
                penalty=self.penalty,
            )
        return limiter


class LimiterRegistry:
    """The limiters, penalty memory and named backends of every key, for one process
    (or one scope of it: see `use_registry`).  Thread-safe."""

    def __init__(self) -> None:
        self._keys: dict[str, _Key] = {}
        # Outlives a key's settings: a key given a new rate is still in its penalty phase.
        self._penalties: dict[str, KeyPenalty] = {}
        self._backends: dict[str, LimiterBackend] = {}
        self._lock = threading.Lock()

    def hold(
        self,
        api_key: str,
        rate: RateLimit,
        backend: LimiterBackend,
        *,
        global_rate: RateLimit | None = None,
        scope: str | None = None,
    ) -> KeyHold:
        """Hold ``api_key`` at these settings until `KeyHold.release`.

        ``scope`` (else the backend's own) splits one key into separate budgets, e.g.
        one per egress IP behind a shared Redis.
        """
        scope = scope if scope is not None else getattr(backend, "scope", None)
        name = key_id(api_key, scope)
        with self._lock:
            entry = self._keys.get(name)
            if entry is None or (entry.users == 0 and entry.differs(rate, global_rate, backend)):
                penalty = self._penalties.setdefault(name, KeyPenalty())
                entry = self._keys[name] = _Key(name, rate, global_rate, backend, penalty)
            else:
                entry.check(rate, global_rate, backend)
            entry.users += 1
            return KeyHold(self, entry)

    def backend(self, limiter: object = None) -> LimiterBackend:
        """The backend for ``limiter``: a spec string (one shared object per spec in this
        registry, so two clients with one key and spec share a budget), a backend object,
        or None (the ``ASSET_CLIENT_LIMITER`` environment variable, then ``host``)."""
        if isinstance(limiter, LimiterBackend):
            return limiter
        if limiter is not None and not isinstance(limiter, str):
            raise InvalidParameterError(
                "limiter must be 'process', 'host', 'redis://...' or a limiter backend, "
                f"got {limiter!r}",
                field="limiter",
            )
        spec, source = requested_spec(limiter if isinstance(limiter, str) else None)
        with self._lock:
            backend = self._backends.get(spec)
            if backend is None:
                backend = self._backends[spec] = backend_from_spec(spec, source)
            return backend

    def _lane(self, entry: _Key, bucket: str) -> KeyLimiter:
        with self._lock:
            return entry.lane(bucket)

    def _lanes_of(self, entry: _Key) -> list[KeyLimiter]:
        with self._lock:
            lanes = list(entry.lanes.values())
            current = self._keys.get(entry.name)
            if current is not None and current is not entry:
                lanes += current.lanes.values()
            return lanes

    def _release(self, entry: _Key) -> None:
        with self._lock:
            # A replaced entry's holders were all gone: nothing to take from its successor.
            if self._keys.get(entry.name) is entry and entry.users > 0:
                entry.users -= 1


class KeyHold:
    """One holder's claim on a key (a client's, from creation to close): its lanes, one
    per endpoint's ``limit_bucket``, created on first use and shared with every other
    holder of the key."""

    __slots__ = ("_entry", "_registry", "_released")

    def __init__(self, registry: LimiterRegistry, entry: _Key) -> None:
        self._registry = registry
        self._entry = entry
        self._released = False

    def lane(self, bucket: str) -> KeyLimiter:
        """The key's limiter for the lane ``bucket``."""
        if self._released:
            raise AssetClientError("this AssetClient is closed (its limiters are released)")
        return self._registry._lane(self._entry, bucket)

    def lanes(self, buckets: Iterable[str] = ()) -> list[KeyLimiter]:
        """The key's lanes: those of ``buckets`` (created if new) and every other one in
        use, ordered by name."""
        for bucket in buckets:
            self.lane(bucket)
        lanes = {limiter.bucket: limiter for limiter in self._registry._lanes_of(self._entry)}
        return [lanes[name] for name in sorted(lanes)]

    def refuse(self, error: AssetClientError) -> None:
        """The server refused the key: fail the calls queued for it on every lane (the
        refusal is the account's, not one endpoint's)."""
        for limiter in self._registry._lanes_of(self._entry):
            limiter.refuse(error)

    def release(self) -> None:
        """Let go of the key (idempotent): once no one holds it, its settings may change."""
        if not self._released:
            self._released = True
            self._registry._release(self._entry)


_PROCESS_REGISTRY = LimiterRegistry()
_CURRENT: ContextVar[LimiterRegistry] = ContextVar(
    "asset_client_limiter_registry", default=_PROCESS_REGISTRY
)


def default_registry() -> LimiterRegistry:
    """The registry clients use unless given one: the process's own, or the one
    `use_registry` set for the current context."""
    return _CURRENT.get()


@contextlib.contextmanager
def use_registry(registry: LimiterRegistry) -> Iterator[LimiterRegistry]:
    """Make ``registry`` the default for clients created in this context (and the tasks
    it starts) until the block ends: isolation, e.g. one registry per test."""
    token = _CURRENT.set(registry)
    try:
        yield registry
    finally:
        _CURRENT.reset(token)


def resolve_limiter(limiter: object = None) -> LimiterBackend:
    """The default registry's backend for ``limiter`` (see `LimiterRegistry.backend`)."""
    return default_registry().backend(limiter)
