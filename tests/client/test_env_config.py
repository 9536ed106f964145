"""Configuration from the environment: from_env, the User-Agent, proxies."""

from __future__ import annotations

import asyncio
import re
import socket
from typing import Any

import pytest
from aioresponses import aioresponses

from asset_client import AssetClient, InvalidParameterError, RateLimit, RetryPolicy
from asset_client.client.version import USER_AGENT, VERSION
from asset_client.sandbox import SandboxConfig, run_sandbox
from tests.conftest import SECRET, envelope, record

URL_RE = re.compile(r"^https://api\.example\.test/.*$")
FAST = RateLimit(requests=1000, period=0.1, margin=0.0)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COINW_API_KEY", "COINW_SECRET_KEY", "ASSET_CLIENT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


async def test_from_env_reads_the_three_variables(
    monkeypatch: pytest.MonkeyPatch, api_key: str
) -> None:
    async with run_sandbox(SandboxConfig(invitees=5, api_key=api_key, secret_key=SECRET)) as sb:
        monkeypatch.setenv("COINW_API_KEY", api_key)
        monkeypatch.setenv("COINW_SECRET_KEY", SECRET)
        monkeypatch.setenv("ASSET_CLIENT_BASE_URL", sb.base_url)
        async with AssetClient.from_env(timeout=5.0) as client:
            assert client.base_url == sb.base_url
            assert [a.uid async for a in client.iter_invitee_assets()] == [
                e["uid"] for e in sb.expected()
            ]


async def test_from_env_overrides_win(monkeypatch: pytest.MonkeyPatch, api_key: str) -> None:
    monkeypatch.setenv("COINW_API_KEY", "env-key-never-used")
    monkeypatch.setenv("COINW_SECRET_KEY", SECRET)
    async with AssetClient.from_env(api_key=api_key, base_url="https://api.example.test") as c:
        assert c.base_url == "https://api.example.test" and api_key[-4:] in repr(c)


def test_from_env_names_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINW_API_KEY", "a-key-that-is-set")
    with pytest.raises(InvalidParameterError) as info:
        AssetClient.from_env()
    assert "COINW_SECRET_KEY not set" in str(info.value) and info.value.field == "secret_key"
    assert "a-key-that-is-set" not in str(info.value)
    monkeypatch.delenv("COINW_API_KEY")
    with pytest.raises(InvalidParameterError, match=r"^COINW_API_KEY and COINW_SECRET_KEY not set"):
        AssetClient.from_env()


def test_from_env_names_a_bad_variable_never_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINW_API_KEY", "key-with-a-bad-byte\x01inside")
    monkeypatch.setenv("COINW_SECRET_KEY", SECRET)
    with pytest.raises(InvalidParameterError) as info:
        AssetClient.from_env()
    assert str(info.value).startswith("COINW_API_KEY: api_key must be printable ASCII")
    assert "bad-byte" not in str(info.value)
    monkeypatch.setenv("COINW_API_KEY", "a-fine-key")
    monkeypatch.setenv("ASSET_CLIENT_BASE_URL", "http://api.example.test")
    with pytest.raises(InvalidParameterError, match=r"^ASSET_CLIENT_BASE_URL: base_url must use"):
        AssetClient.from_env()


async def test_every_request_carries_the_user_agent(api_key: str) -> None:
    assert f"asset-client/{VERSION}" == USER_AGENT and VERSION != "0.0.0"
    async with AssetClient(
        api_key, SECRET, base_url="https://api.example.test", rate_limit=FAST
    ) as c:
        with aioresponses() as mocked:
            mocked.get(URL_RE, payload=envelope(3, [record(1), record(2)]))
            mocked.get(URL_RE, payload=envelope(3, [record(3)]))
            assert len([a async for a in c.iter_invitee_assets(page_size=2)]) == 3
            calls = [call for calls in mocked.requests.values() for call in calls]
    assert len(calls) == 2
    assert all(call.kwargs["headers"]["User-Agent"] == USER_AGENT for call in calls)


class RecordingProxy:
    """A real proxy on loopback that notes the first request line and refuses it."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.url = ""
        self._server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.lines.append((await reader.readline()).decode().strip())
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> RecordingProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


async def _one_page(client: AssetClient) -> BaseException:
    try:
        await client.get_invitee_assets_page()
    except Exception as exc:
        return exc
    raise AssertionError("the request went through")


def _client(api_key: str, **kwargs: Any) -> AssetClient:
    return AssetClient(
        api_key,
        SECRET,
        base_url="https://api.example.test",
        rate_limit=FAST,
        retry_policy=RetryPolicy(max_retries=0),
        **kwargs,
    )


async def test_https_proxy_from_the_environment_is_used(
    monkeypatch: pytest.MonkeyPatch, api_key: str
) -> None:
    async with RecordingProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        async with _client(api_key) as client:
            error = await _one_page(client)
    assert proxy.lines == ["CONNECT api.example.test:443 HTTP/1.1"]
    assert "proxy refused the request" in str(error)


async def test_an_explicit_proxy_is_used(api_key: str) -> None:
    async with RecordingProxy() as proxy, _client(api_key, proxy=proxy.url) as client:
        await _one_page(client)
    assert proxy.lines == ["CONNECT api.example.test:443 HTTP/1.1"]


async def test_a_loopback_sandbox_is_never_proxied(
    monkeypatch: pytest.MonkeyPatch, api_key: str
) -> None:
    with socket.socket() as dead:  # a proxy that is not there: using it would fail
        dead.bind(("127.0.0.1", 0))
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead.getsockname()[1]}")
    config = SandboxConfig(invitees=3, api_key=api_key, secret_key=SECRET)
    async with run_sandbox(config) as sb, AssetClient(api_key, SECRET, base_url=sb.base_url) as c:
        assert (await c.get_invitee_assets_page()).total == 3


@pytest.mark.parametrize("proxy", ["socks5://u:hunter2@h:1080", "http://", "http://h:1/path", 5])
def test_a_bad_proxy_is_refused_before_any_request(api_key: str, proxy: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        _client(api_key, proxy=proxy)
    assert info.value.field == "proxy" and "hunter2" not in str(info.value)


async def test_a_proxy_with_a_shared_session_is_refused(api_key: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        with pytest.raises(InvalidParameterError, match="set it on your session"):
            _client(api_key, proxy="http://proxy.example:3128", session=session)
