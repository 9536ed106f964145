"""`redact` and the message helpers built on it (pure)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from asset_client.core.redact import REDACTED, excerpt, redact, shown

SIGN = "ab+cd/ef=="
KEY = "key-1234-abcd"


@pytest.mark.parametrize(
    "spelling",
    [SIGN, json.dumps(SIGN)[1:-1], SIGN.replace("/", "\\/"), quote(SIGN, safe=""), quote(SIGN)],
)
def test_every_spelling_of_a_secret_is_removed(spelling: str) -> None:
    text = redact(f"echo: sign={spelling}; api_key={KEY}", [SIGN, KEY])
    assert text == f"echo: sign={REDACTED}; api_key={REDACTED}"


def test_a_secret_cut_by_the_excerpt_is_removed_whole() -> None:
    body = ("x" * 190 + KEY + "y" * 400).encode()
    cut = excerpt(body, secrets=[KEY])
    assert KEY[:5] not in cut and cut.startswith("x" * 190 + REDACTED[:10])


def test_shown_is_bounded_in_depth_and_length_and_redacted() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(5000):
        child: list[object] = []
        node.append(child)
        node = child
    assert len(shown(deep)) < 100
    assert len(shown("z" * 10_000)) < 200
    assert KEY not in shown({"k": KEY}, [KEY])


def test_nothing_to_redact_changes_nothing() -> None:
    assert redact("plain text", []) == "plain text"
    assert redact("plain text", [""]) == "plain text"


def test_a_code_that_echoes_the_key_is_redacted() -> None:
    # Found by the answer fuzzer: the server's `code` itself carried the API key.
    from asset_client.core.classify import classify_response
    from asset_client.errors import ApiError

    body = json.dumps({"code": "key-0123456789abcdef", "msg": "no"}).encode()
    with pytest.raises(ApiError) as caught:
        classify_response(200, {}, body, page_no=3, secrets=("key-0123456789abcdef",))
    assert "key-0123456789abcdef" not in str(caught.value)
    assert "key-0123456789abcdef" not in repr(caught.value.code)
    assert REDACTED in str(caught.value)
