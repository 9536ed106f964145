"""A raw HTTP/1.1 server on 127.0.0.1 for answers no well-behaved server gives:
gzip bombs, bodies that drip, echoes of the request.  Test-only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import attrs


@attrs.define
class Request:
    line: str
    headers: dict[str, str]


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


@attrs.define
class RawServer:
    base_url: str
    requests: list[Request] = attrs.field(factory=list)


def response_head(status: int, headers: dict[str, str], length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Handler:
    """A handler that sends one fixed answer."""

    async def handle(_: Request, writer: asyncio.StreamWriter) -> None:
        head = {"Content-Type": "application/json", **(headers or {})}
        writer.write(response_head(status, head, len(body)))
        writer.write(body)
        await writer.drain()

    return handle


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[RawServer]:
    server_state = RawServer(base_url="")

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line, *rest = head.decode("latin-1").split("\r\n")
            headers = {}
            for item in rest:
                name, sep, value = item.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            if length:
                await reader.readexactly(length)  # a POST body: read, so the close is clean
            request = Request(line=line, headers=headers)
            server_state.requests.append(request)
            await handler(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server_state.base_url = f"http://127.0.0.1:{port}"
    try:
        async with server:
            yield server_state
    finally:
        server.close()
