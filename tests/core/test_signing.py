"""Signing: the test vectors from ../shared/spec/NOTES.md, and the rule's edges."""

from __future__ import annotations

from asset_client.core.query import AssetQuery, build_query, decoded_query_string
from asset_client.core.signing import ASSETS_PATH, sign, signing_message

TIMESTAMP = "1700000000000"


def test_vector_with_uid_and_quote() -> None:
    query = "uid=12345678&quote=usdt&pageNo=1&pageSize=20"
    assert signing_message(TIMESTAMP, "GET", ASSETS_PATH, query) == (
        "1700000000000GET/api/v3/patener/openapi/v1/partner/invitation/user/assets"
        "?uid=12345678&quote=usdt&pageNo=1&pageSize=20"
    )
    assert sign("sk-test", TIMESTAMP, "GET", ASSETS_PATH, query) == (
        "CJVsQLlVUrfz91NH8CNESrh1VpTdW/YlFXGFuJULaRE="
    )


def test_vector_with_time_window_signs_the_decoded_query() -> None:
    query = (
        "startTime=2026-03-01 00:00:00&endTime=2026-05-21 10:25:00&quote=usdc&pageNo=2&pageSize=100"
    )
    assert sign("sk-test", TIMESTAMP, "GET", ASSETS_PATH, query) == (
        "RMDfZGzDfmIVE9I1k9EzGACLgZa6brxSfa27cR/tBAg="
    )


def test_query_builder_produces_the_vector_order() -> None:
    params = build_query(AssetQuery(quote="usdt", uid=12345678), page_no=1, page_size=20)
    assert decoded_query_string(params) == "uid=12345678&quote=usdt&pageNo=1&pageSize=20"
    windowed = build_query(
        AssetQuery(quote="usdc", start_time="2026-03-01 00:00:00", end_time="2026-05-21 10:25:00"),
        page_no=2,
        page_size=100,
    )
    signature = sign("sk-test", TIMESTAMP, "GET", ASSETS_PATH, decoded_query_string(windowed))
    assert signature == "RMDfZGzDfmIVE9I1k9EzGACLgZa6brxSfa27cR/tBAg="


def test_no_query_leaves_out_the_question_mark() -> None:
    assert signing_message(TIMESTAMP, "get", "/p", "") == "1700000000000GET/p"


def test_signature_depends_on_every_part() -> None:
    base = sign("s", TIMESTAMP, "GET", ASSETS_PATH, "a=1")
    assert sign("t", TIMESTAMP, "GET", ASSETS_PATH, "a=1") != base
    assert sign("s", "1700000000001", "GET", ASSETS_PATH, "a=1") != base
    assert sign("s", TIMESTAMP, "GET", ASSETS_PATH, "a=2") != base
