"""The ``sandbox`` subcommand: argument parsing and a start/stop round trip."""

from __future__ import annotations

import argparse
import asyncio
import math
import subprocess
import sys

import pytest

from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, FaultConfig, SandboxConfig
from asset_client.sandbox._cli import (
    add_sandbox_parser,
    build_parser,
    is_loopback,
    run_sandbox_command,
    sandbox_config_from_args,
)
from asset_client.sandbox._config import MAX_INVITEES


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="asset-client")
    add_sandbox_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["sandbox", *argv])


def test_defaults_use_demo_credentials_on_loopback() -> None:
    args = _parse()
    assert args.host == "127.0.0.1" and args.port == 8765
    config = sandbox_config_from_args(args)
    assert (config.api_key, config.secret_key) == (DEMO_API_KEY, DEMO_SECRET_KEY)
    assert config.max_page_size == 1000 and config.clamp_page_size is None


def test_options_map_to_config() -> None:
    args = _parse(
        "--api-key", "k", "--secret-key", "s", "--invitees", "10", "--seed", "3",
        "--max-page-size", "100", "--clamp-page-size", "50", "--rate-limit-status", "429",
        "--latency", "0.1", "--fault-rate", "0.2",
    )  # fmt: skip
    config = sandbox_config_from_args(args)
    assert (config.api_key, config.secret_key, config.invitees, config.seed) == ("k", "s", 10, 3)
    assert (config.max_page_size, config.clamp_page_size) == (100, 50)
    assert config.rate_limit_status == 429
    assert (config.faults.latency, config.faults.random_rate) == (0.1, 0.2)


def test_rate_limit_status_choices() -> None:
    with pytest.raises(SystemExit):
        _parse("--rate-limit-status", "500")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


async def test_command_serves_until_cancelled(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse("--port", "0", "--invitees", "5")
    task = asyncio.create_task(run_sandbox_command(args))
    # Wait for the banner instead of sleeping a fixed time.
    for _ in range(500):
        if "listening on" in capsys.readouterr().out:
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("sandbox never started")
    task.cancel()
    assert await task == 0


async def test_invalid_config_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_sandbox_command(_parse("--port", "0", "--fault-rate", "2")) == 2
    assert "random_rate" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--invitees", str(10**30)),
        ("--invitees", "1000001"),
        ("--invitees", "-1"),
        ("--latency", "inf"),
        ("--latency", "nan"),
        ("--latency", "-0.5"),
        ("--api-key", ""),
        ("--secret-key", ""),
    ],
)
def test_bad_values_are_usage_errors_naming_option_and_value(option: str, value: str) -> None:
    # A real process: the exit status and stderr a user sees, before anything is allocated
    # or bound (10**30 invitees used to grow memory without ever listening).
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "asset_client.sandbox", "--port", "0", option, value],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"argument {option}" in done.stderr and repr(value) in done.stderr
    assert "listening" not in done.stdout


def test_the_invitee_bound_is_documented_and_held_by_the_config() -> None:
    assert f"{MAX_INVITEES:,}" in build_parser().format_help()
    assert _parse("--invitees", str(MAX_INVITEES)).invitees == MAX_INVITEES
    with pytest.raises(ValueError, match="invitees"):
        SandboxConfig(invitees=MAX_INVITEES + 1)
    with pytest.raises(ValueError, match="api_key"):
        SandboxConfig(api_key="")
    with pytest.raises(ValueError, match="finite"):
        FaultConfig(latency=math.inf)
