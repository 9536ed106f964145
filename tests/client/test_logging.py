"""Logging: the redaction filter, ASSET_CLIENT_LOG, and no second handler."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from asset_client import AssetClient
from asset_client.client.log import REDACTED, RedactingFilter, configure_from_env, redact
from asset_client.sandbox import SandboxConfig, run_sandbox
from tests.conftest import SECRET


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Records of the asset_client logger tree, formatted, as a handler would write them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("asset_client")
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)


async def test_no_record_carries_the_key_the_secret_or_a_signature(
    captured: io.StringIO, api_key: str
) -> None:
    async with AssetClient(api_key, SECRET, base_url="https://api.example.test"):
        pass  # the client registers its key and secret with the filter
    log = logging.getLogger("asset_client")
    headers = {"api_key": api_key, "timestamp": "1", "sign": "c2lnbmF0dXJl+/=="}
    log.debug("sending %s", headers)
    log.info("key=%s secret=%s", api_key, SECRET)
    log.warning("proxy http://user:pa55word@proxy.example:3128 sign=abc123")
    try:
        raise RuntimeError(f"boom with {SECRET} inside")
    except RuntimeError:
        log.exception("failed")
    logging.getLogger("asset_client.cli").error("child logger: %s", SECRET)
    text = captured.getvalue()
    for secret in (api_key, SECRET, "c2lnbmF0dXJl", "pa55word", "abc123"):
        assert secret not in text
    assert text.count(REDACTED) >= 7
    assert "RuntimeError: boom with [REDACTED] inside" in text  # the traceback is kept, cleaned


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "page 3 attempt 1: HTTP 200, 100 records after 0.120s"
    assert redact(text) == text


def _script(tmp_path: Path, setup: str) -> Path:
    script = tmp_path / "app.py"
    script.write_text(
        textwrap.dedent(
            f"""\
            import asyncio, logging, os, sys
            {setup}
            from asset_client import AssetClient

            async def main() -> None:
                async with AssetClient.from_env() as client:
                    await client.get_invitee_assets_page()
                    secret = os.environ["COINW_SECRET_KEY"]
                    logging.getLogger("asset_client").debug("secret is %s", secret)

            asyncio.run(main())
            """
        )
    )
    return script


async def _run(script: Path, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_asset_client_log_turns_logging_on_without_code(tmp_path: Path, api_key: str) -> None:
    config = SandboxConfig(invitees=5, api_key=api_key, secret_key=SECRET)
    async with run_sandbox(config) as sb:
        env = {
            **os.environ,
            "COINW_API_KEY": api_key,
            "COINW_SECRET_KEY": SECRET,
            "ASSET_CLIENT_BASE_URL": sb.base_url,
        }
        silent = await _run(_script(tmp_path, ""), env)
        on = await _run(_script(tmp_path, ""), {**env, "ASSET_CLIENT_LOG": "debug"})
        # the application configured logging first: its handler, one line per record
        app = await _run(
            _script(tmp_path, "logging.basicConfig(stream=sys.stdout, format='APP %(message)s')"),
            {**env, "ASSET_CLIENT_LOG": "debug"},
        )
    assert silent == (0, "", "")
    code, out, err = on
    assert code == 0 and out == ""
    assert "DEBUG asset_client: assets page 1 attempt 1: HTTP 200, 5 records" in err
    assert "secret is [REDACTED]" in err and SECRET not in err and api_key not in err
    code, out, err = app
    assert code == 0 and err == ""
    assert out.count("APP assets page 1 attempt 1: HTTP 200") == 1 and SECRET not in out


def test_an_unknown_level_is_reported_not_ignored_silently() -> None:
    import asset_client.client.log as module

    saved = module._configured
    module._configured = False
    stream = io.StringIO()
    try:
        assert configure_from_env({"ASSET_CLIENT_LOG": "loud"}, stream) is None
    finally:
        module._configured = saved
    assert "ASSET_CLIENT_LOG='loud' ignored; use one of debug, info" in stream.getvalue()
