"""A server that echoes a secret leaks no piece of it (issue 21.3): redaction happens before
every cut of server text — the ``code`` (cut to 40 characters), the message, excerpts of
the body, values shown from a record — and matches any mix of plain, JSON-escaped and
percent-encoded characters."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC
from urllib.parse import quote

import pytest

from asset_client.core.classify import classify_response
from asset_client.core.decode import decode_page
from asset_client.core.redact import REDACTED, redact, shown
from asset_client.core.signing import sign
from asset_client.errors import AssetClientError

API_KEY = hashlib.sha256(b"an API key").hexdigest()  # 64 characters, as CoinW's
SECRET = "the-secret-key-0123456789"
SIGNATURE = sign(SECRET, "1700000000000", "GET", "/api/v1/x", "page=1")  # base64, 44 chars
SECRETS = (API_KEY, SECRET, SIGNATURE)


def _partly_encoded(secret: str) -> str:
    """Every other non-alphanumeric character percent-encoded, and a few letters too."""
    out = []
    for i, c in enumerate(secret):
        if (not c.isalnum() and i % 2) or i % 7 == 3:
            out.append(quote(c, safe="") if not c.isalnum() else f"%{ord(c):02x}")
        else:
            out.append(c)
    return "".join(out)


def _echoes() -> Iterator[tuple[str, str]]:
    for name, secret in (("api key", API_KEY), ("signature", SIGNATURE), ("secret", SECRET)):
        yield f"{name} plain", secret
        yield f"{name} partly percent-encoded", _partly_encoded(secret)
        yield f"{name} JSON-escaped", json.dumps(secret)[1:-1].replace("/", "\\/")


def _pieces(secret: str, size: int = 4) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def _leaks(text: str) -> list[str]:
    return sorted(p for s in SECRETS for p in _pieces(s) if p in text)


def test_the_signature_has_the_characters_that_need_encoding() -> None:
    assert len(API_KEY) == 64 and len(SIGNATURE) == 44
    assert set(SIGNATURE) & set("+/=") and _partly_encoded(SIGNATURE) != SIGNATURE


@pytest.mark.parametrize(("what", "echo"), list(_echoes()))
@pytest.mark.parametrize("member", ["code", "msg"])
@pytest.mark.parametrize("status", [200, 400, 500])
def test_an_echo_in_code_or_msg_leaks_no_piece(
    what: str, echo: str, member: str, status: int
) -> None:
    payload = {"code": "7001", "msg": "refused", member: f"bad request {echo} from you"}
    body = json.dumps(payload).encode()
    with pytest.raises(AssetClientError) as caught:
        classify_response(status, {}, body, page_no=2, secrets=SECRETS)
    error = caught.value
    shown_to_user = [str(error), repr(error), repr(getattr(error, "code", None))]
    for text in shown_to_user:
        assert not _leaks(text), (what, text)
    assert REDACTED[:9] in str(error)


@pytest.mark.parametrize(("what", "echo"), list(_echoes()))
def test_an_echo_as_the_whole_code_is_redacted_before_it_is_cut(what: str, echo: str) -> None:
    body = json.dumps({"code": echo, "msg": "x"}).encode()
    with pytest.raises(AssetClientError) as caught:
        classify_response(200, {}, body, secrets=SECRETS)
    assert not _leaks(str(caught.value)), what
    assert not _leaks(repr(getattr(caught.value, "code", ""))), what


@pytest.mark.parametrize(("what", "echo"), list(_echoes()))
def test_an_echo_in_a_record_field_leaks_no_piece(what: str, echo: str) -> None:
    # A long value is cut by `shown`: the cut must come after the redaction.
    data = {"total": 1, "list": [{"uid": 7, "totalDeposit": "x" * 100 + echo + "y" * 100}]}
    with pytest.raises(AssetClientError) as caught:
        decode_page(data, page_no=1, page_size=10, server_tz=UTC, secrets=SECRETS)
    assert not _leaks(str(caught.value)), (what, str(caught.value))


def test_shown_redacts_strings_before_the_repr_cuts_them() -> None:
    value = {"nested": ["a" * 40 + SIGNATURE + "b" * 200]}  # the repr cuts at ~58
    assert not _leaks(shown(value, SECRETS))
    assert SIGNATURE[:10] in shown(value)  # the trap: without secrets the cut keeps a piece


def test_redaction_matches_any_mix_of_spellings_and_nothing_else() -> None:
    mixed = "".join(quote(c, safe="") if i % 3 == 0 else c for i, c in enumerate(SIGNATURE))
    assert redact(f"<{mixed}>", SECRETS) == f"<{REDACTED}>"
    assert redact(f"<{mixed.lower()}>", SECRETS) != f"<{REDACTED}>"  # letters keep their case
    assert redact("amount 12.5 at page 3", SECRETS) == "amount 12.5 at page 3"
