"""What the sandbox sends back: each kind of answer as status, body, code and headers (pure).

The sharp edge: CoinW's envelopes are not uniform and the sandbox copies them as observed:
``code`` is a string on success (``"0"``) and a number on errors, a 6003 refusal says
``message`` instead of ``msg``, and a 503 from the proxy in front is HTML, not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

import attrs
from aiohttp import web

from asset_client.sandbox._config import SandboxConfig
from asset_client.sandbox._faults import Fault

__all__ = [
    "SERVER_ERROR",
    "Answer",
    "body_params",
    "fault_answer",
    "json_answer",
    "refusal",
    "success",
    "too_frequent",
]

JSON_TYPE: Final = "application/json"
_HTML_ERROR: Final = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
    "<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@attrs.frozen
class Answer:
    """One HTTP answer; ``code`` is the body's "code" as a string (None: no valid JSON body)."""

    status: int
    body: bytes
    code: str | None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    content_type: str | None = JSON_TYPE

    def truncated(self) -> Answer:
        """The first half of the body: JSON cut mid-way, with no code to read."""
        return attrs.evolve(self, body=self.body[: len(self.body) // 2], code=None)

    def response(self) -> web.Response:
        response = web.Response(status=self.status, body=self.body, headers=dict(self.headers))
        if self.content_type is not None:
            response.content_type = self.content_type
        return response


def json_answer(payload: Mapping[str, object], code: str) -> Answer:
    """A 200 with ``payload`` as compact JSON."""
    return Answer(200, json.dumps(payload, separators=(",", ":")).encode(), code)


def success(data: object) -> Answer:
    return json_answer({"code": "0", "msg": "success", "data": data}, "0")


def refusal(payload: Mapping[str, object]) -> Answer:
    """An authentication or permission refusal (its payload carries the code)."""
    return json_answer(payload, str(payload["code"]))


SERVER_ERROR: Final = json_answer({"code": 500, "msg": "Internal server error"}, "500")


def _format_seconds(value: float) -> str:
    # Whole seconds as HTTP wants them; fractions kept so tests can use short windows.
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def too_frequent(config: SandboxConfig) -> Answer:
    """The rate-limit rejection: code 29001, as a 200 or a 429 (with Retry-After) by config."""
    answer = json_answer({"code": 29001, "msg": "API access frequently"}, "29001")
    if config.rate_limit_status != 429:
        return answer
    headers: dict[str, str] = {}
    if config.retry_after is not None:
        headers["Retry-After"] = _format_seconds(config.retry_after)
    return attrs.evolve(answer, status=429, headers=headers)


def fault_answer(fault: Fault | None, config: SandboxConfig) -> Answer | None:
    """The answer an injected fault sends instead of serving; None if it does not replace it."""
    if fault is Fault.SERVER_ERROR_HTML:
        return Answer(503, _HTML_ERROR.encode(), None, content_type="text/html")
    if fault is Fault.EMPTY_BODY:
        return Answer(200, b"", None, content_type=None)
    if fault is Fault.CODE_500:
        return SERVER_ERROR
    if fault is Fault.RATE_LIMITED:
        return too_frequent(config)
    return None


def body_params(body: bytes) -> tuple[tuple[str, str], ...]:
    """A POST body's top-level fields as (name, value) strings, for the request log."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return ()
    if not isinstance(payload, dict):
        return ()
    return tuple((str(name), str(value)) for name, value in payload.items())
