"""Which backend a client gets: the argument, else ASSET_CLIENT_LIMITER, else host; scopes
split a key's Redis budget; a Redis password never shows."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from asset_client import HostLimiter, ProcessLimiter, RedisLimiter
from asset_client.limit import LimiterRegistry, LimiterUnavailableError, resolve_limiter
from asset_client.limit.host import default_directory
from asset_client.limit.limiter import RateLimit


def test_the_argument_beats_the_environment_which_beats_the_host_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ASSET_CLIENT_LIMITER", raising=False)
    assert isinstance(resolve_limiter(None), HostLimiter)
    monkeypatch.setenv("ASSET_CLIENT_LIMITER", "process")
    assert isinstance(resolve_limiter(None), ProcessLimiter)
    assert isinstance(resolve_limiter("host"), HostLimiter)
    own = ProcessLimiter()
    assert resolve_limiter(own) is own
    # One object per spec: two clients with one key and spec share one budget.
    assert resolve_limiter("process") is resolve_limiter(None)


def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSET_CLIENT_LIMITER", "etcd://x")
    with pytest.raises(ValueError, match=r"ASSET_CLIENT_LIMITER must be .* got 'etcd://x'"):
        resolve_limiter(None)


def test_a_scope_is_a_budget_of_its_own_and_a_password_never_shows() -> None:
    europe = RedisLimiter("redis://:s3cret-pass@127.0.0.1:6379/0?scope=eu-1")
    asia = RedisLimiter("redis://:s3cret-pass@127.0.0.1:6379/0", scope="ap-1")
    assert (europe.scope, asia.scope) == ("eu-1", "ap-1")
    rate = RateLimit()
    registry = LimiterRegistry()
    one = registry.hold("scoped-key", rate, europe).lane("assets")
    other = registry.hold("scoped-key", rate, asia).lane("assets")
    assert one is not other and one.key != other.key
    assert "s3cret-pass" not in repr(europe)
    with pytest.raises(ValueError, match=r"\*\*\*") as info:
        RedisLimiter("http://:s3cret-pass@127.0.0.1/0")
    assert "s3cret-pass" not in str(info.value)


def test_the_host_directory_is_the_same_for_a_login_shell_and_cron(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A login shell has XDG_RUNTIME_DIR (and maybe TMPDIR); cron and systemd do not.
    # Both must find one clock file, or each would spend the whole budget.
    monkeypatch.delenv("ASSET_CLIENT_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run-user"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    in_a_shell = default_directory()
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.delenv("TMPDIR")
    in_cron = default_directory()
    assert in_a_shell == in_cron
    assert in_cron.name.endswith(str(os.getuid()))
    monkeypatch.setenv("ASSET_CLIENT_RUNTIME_DIR", str(tmp_path / "mine"))
    assert default_directory() == tmp_path / "mine"  # the explicit override


def test_no_usable_host_directory_is_a_typed_error_before_any_send(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_temp_dir() -> Path:
        raise FileNotFoundError("No usable temporary directory found")

    monkeypatch.setattr("asset_client.limit.host.default_directory", no_temp_dir)
    limiter = HostLimiter()
    with pytest.raises(LimiterUnavailableError, match="host limiter") as caught:
        asyncio.run(limiter.peek("k" * 64, (), 0.0))
    assert caught.value.backend == "host"
    assert repr(limiter) == "HostLimiter(directory='default')"
