"""Fuzzing the pure reading of answers: whatever bytes or JSON come back, only a
typed error (`ResponseDecodeError` or an `ApiError`) may come out, and its message
is bounded and holds no credential."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asset_client import ApiError, ResponseDecodeError
from asset_client.core.classify import classify_response
from asset_client.core.decode import decode_page

KEY = "fuzz-api-key-7f3a9c"
SECRET = "fuzz-secret-b2d4e6f8"
SIGN = "c2lnbmF0dXJlL3dpdGgrc2xhc2g9"
SECRETS = (KEY, SECRET, SIGN)
STATUSES = st.sampled_from([200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 502, 503])
WIRE_FIELDS = [
    "uid",
    "totalDeposit",
    "totalWithdrawal",
    "currentBalance",
    "updateTime",
    "firstDepositAmount",
    "firstDepositTime",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**45), max_value=10**45),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        ["0", "1", "15000.00000000", "1e5", "NaN", "", KEY, SIGN, "2026-05-21 10:25:00"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
records = st.fixed_dictionaries({}, optional={name: json_values for name in WIRE_FIELDS})
data = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"total": json_values, "list": st.one_of(json_values, st.lists(records, max_size=5))}
    ),
)
payloads = st.fixed_dictionaries(
    {"code": st.one_of(st.sampled_from(["0", "200", 0, "29001", "6003"]), json_values)},
    optional={"msg": json_values, "message": json_values, "data": data},
)


def check(status: int, headers: dict[str, str], raw: bytes) -> None:
    try:
        result = classify_response(status, headers, raw, page_no=3, now=0.0, secrets=SECRETS)
        decode_page(result, page_no=3, page_size=10, server_tz=UTC, secrets=SECRETS)
    except (ResponseDecodeError, ApiError) as exc:
        message = str(exc)
        assert len(message) < 2000
        for secret in SECRETS:
            assert secret not in message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=STATUSES, payload=payloads, retry_after=st.text(max_size=40))
def test_any_json_answer_is_data_or_a_typed_error(
    status: int, payload: dict[str, Any], retry_after: str
) -> None:
    check(status, {"Retry-After": retry_after}, json.dumps(payload).encode())


@settings(max_examples=300, deadline=None)
@given(status=STATUSES, raw=st.binary(max_size=200))
def test_any_bytes_are_data_or_a_typed_error(status: int, raw: bytes) -> None:
    check(status, {}, raw)


@settings(max_examples=100, deadline=None)
@given(
    depth=st.integers(min_value=1, max_value=5000),
    opener=st.sampled_from([b"[", b'{"a":']),
    status=STATUSES,
)
def test_deep_nesting_anywhere_is_a_typed_error(depth: int, opener: bytes, status: int) -> None:
    closer = b"]" if opener == b"[" else b"}"
    nested = opener * depth + b"1" + closer * depth
    for raw in (
        nested,
        b'{"code": "0", "data": ' + nested + b"}",
        b'{"code": "0", "data": {"total": 1, "list": [{"uid": ' + nested + b"}]}}",
        b'{"code": "7", "msg": ' + nested + b"}",
    ):
        check(status, {}, raw)
