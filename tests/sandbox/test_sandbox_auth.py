"""Pure tests of the sandbox's authentication and of the answers it sends (no server)."""

from __future__ import annotations

import json

import pytest

from asset_client.core.signing import ASSETS_PATH, VOLUME_PATH, sign, sign_body
from asset_client.sandbox import Fault, SandboxConfig
from asset_client.sandbox._answers import fault_answer, too_frequent
from asset_client.sandbox._auth import authenticate
from asset_client.sandbox._population import Population

NOW = 1_700_000_000.0
CONFIG = SandboxConfig(non_affiliate_keys={"plain": "plain-secret"}, wall_clock=lambda: NOW)
SECRETS = {"plain": "plain-secret", CONFIG.api_key: CONFIG.secret_key}
QUERY = "quote=usdt&pageNo=1"


def _headers(key: str, secret: str, *, skew: float = 0.0) -> dict[str, str]:
    timestamp = str(int((NOW + skew) * 1000))
    return {
        "api_key": key,
        "timestamp": timestamp,
        "sign": sign(secret, timestamp, "GET", ASSETS_PATH, QUERY),
    }


def _code(headers: dict[str, str], path: str = ASSETS_PATH, body: bytes = b"") -> object:
    denied = authenticate(headers, SECRETS, CONFIG, (path, QUERY, body))
    return None if denied is None else denied["code"]


def test_a_signed_request_of_an_affiliate_key_passes() -> None:
    assert _code(_headers(CONFIG.api_key, CONFIG.secret_key)) is None


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, 6001),
        (_headers("unknown", "whatever"), 6000),
        (_headers(CONFIG.api_key, "wrong-secret"), 6001),
        (_headers(CONFIG.api_key, CONFIG.secret_key, skew=31), 6001),
        ({**_headers(CONFIG.api_key, CONFIG.secret_key), "timestamp": "1700000000"}, 6001),
        (_headers("plain", "plain-secret"), 6003),
    ],
    ids=["unsigned", "unknown-key", "bad-signature", "stale", "seconds-not-ms", "no-permission"],
)
def test_refusals_carry_coinws_codes(headers: dict[str, str], code: int) -> None:
    assert _code(headers) == code


def test_the_volume_post_is_signed_over_the_body_bytes() -> None:
    body = b'{"pageNo":1,"pageSize":100}'
    timestamp = str(int(NOW * 1000))
    signed = sign_body(CONFIG.secret_key, timestamp, VOLUME_PATH, body)
    headers = {"api_key": CONFIG.api_key, "timestamp": timestamp, "sign": signed}
    assert _code(headers, VOLUME_PATH, body) is None
    assert _code(headers, VOLUME_PATH, body + b" ") == 6001


def test_a_rejection_is_a_200_or_a_429_with_retry_after() -> None:
    assert too_frequent(SandboxConfig()).status == 200
    answer = too_frequent(SandboxConfig(rate_limit_status=429, retry_after=0.5))
    assert (answer.status, answer.code, dict(answer.headers)) == (
        429,
        "29001",
        {"Retry-After": "0.5"},
    )
    assert json.loads(answer.body) == {"code": 29001, "msg": "API access frequently"}


def test_only_faults_that_replace_the_answer_have_one() -> None:
    replaced = {fault for fault in Fault if fault_answer(fault, CONFIG) is not None}
    assert replaced == {
        Fault.SERVER_ERROR_HTML,
        Fault.EMPTY_BODY,
        Fault.CODE_500,
        Fault.RATE_LIMITED,
    }
    assert fault_answer(None, CONFIG) is None


def test_a_population_refuses_another_uid_in_place() -> None:
    population = Population(1, "usdt", 3)
    with pytest.raises(ValueError, match="cannot replace"):
        population.replace(0, population[1])
