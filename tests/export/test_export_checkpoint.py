"""Checkpoint model (today's format and the two of earlier releases), partial file and
atomic writes (no server needed)."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from asset_client.endpoints import ASSETS, INVITEES
from asset_client.export.checkpoint import Asked, Checkpoint, key_fingerprint, plain_filters
from asset_client.export.errors import CheckpointError
from asset_client.export.files import PartialFile, atomic_write, checkpoint_path, partial_path
from asset_client.export.filters import filters_for
from asset_client.export.legacy_checkpoints import read_checkpoint
from asset_client.export.sums import Sums

KEY = key_fingerprint("my-api-key")
SETTINGS: dict[str, Any] = {
    "page_size": 100,
    "format": "csv",
    "source": "https://api.coinw.com",
    "server_timezone": "UTC",
    "key": KEY,
}
ASKED = Asked(
    dataset="assets",
    filters=plain_filters(filters_for(ASSETS, "2026-03-01 00:00:00", None, quote="usdt", uid=None)),
    **SETTINGS,
)
SUMS = Sums(
    400,
    {
        "total_deposit": Decimal("123456789012345678901234567890.12345678"),
        "total_withdrawal": Decimal("-0"),
        "current_balance": Decimal("0.00000000"),
    },
)
CHECKPOINT = Checkpoint(
    asked=ASKED,
    window=("2026-03-01 00:00:00", None),
    records=400,
    sums=SUMS,
    partial_bytes=40_123,
)


def test_paths_sit_beside_the_target() -> None:
    target = Path("/data/out/invitees.csv")
    assert partial_path(target) == Path("/data/out/.invitees.csv.partial")
    assert checkpoint_path(target) == Path("/data/out/invitees.csv.checkpoint.json")


def test_round_trip() -> None:
    data = CHECKPOINT.to_json()
    assert read_checkpoint(data) == CHECKPOINT
    doc = json.loads(data)
    assert doc["version"] == 2
    assert doc["params"]["dataset"] == "assets"
    assert doc["params"]["filters"] == {
        "quote": "usdt",
        "uid": None,
        "start_time": "2026-03-01 00:00:00",
        "end_time": None,
    }
    assert doc["records"] == 400 and doc["complete"] is False
    assert doc["sums"]["total_deposit"] == "123456789012345678901234567890.12345678"
    assert doc["sums"]["total_withdrawal"] == "-0"


def test_every_dataset_has_the_same_format_with_its_own_sums() -> None:
    volume = Checkpoint(
        asked=attrs.evolve(ASKED, dataset="volume", filters={"uid": None}),
        window=("2026-05-16", "2026-06-15"),
        records=3,
        sums=Sums(3, {"volume": Decimal("1.50")}),
        partial_bytes=99,
        complete=True,
    )
    invitees = attrs.evolve(volume, sums=Sums(3), window=None)
    for checkpoint in (volume, invitees):
        assert read_checkpoint(checkpoint.to_json()) == checkpoint
    assert json.loads(volume.to_json())["sums"] == {"volume": "1.50"}
    assert json.loads(invitees.to_json())["sums"] == {}


def test_fresh_checkpoint_round_trip() -> None:
    fresh = attrs.evolve(CHECKPOINT, records=0, sums=Sums.over(SUMS.amounts), partial_bytes=10)
    assert read_checkpoint(fresh.to_json()) == fresh


def test_holds_no_api_key() -> None:
    assert b"my-api-key" not in CHECKPOINT.to_json()
    assert key_fingerprint("my-api-key") != key_fingerprint("other-key")
    assert len(key_fingerprint("my-api-key")) == 16


def _doc(**changes: Any) -> bytes:
    doc = json.loads(CHECKPOINT.to_json())
    doc.update(changes)
    return json.dumps(doc).encode()


def _params(**changes: Any) -> bytes:
    params = json.loads(CHECKPOINT.to_json())["params"]
    params.update(changes)
    return _doc(params=params)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b"\xff\xfe", "not valid JSON"),
        (_doc(version=3), "format version 3"),
        (_doc(version=True), "format version True"),
        (_doc(partial_bytes=-1), "partial_bytes must be a non-negative integer"),
        (_doc(records="400"), "records must be a non-negative integer"),
        (_doc(sums=[]), "sums must be an object"),
        (_doc(sums={"total_deposit": "x"}), "sums.total_deposit must be a decimal string"),
        (_doc(sums={"total_deposit": 1.5}), "sums.total_deposit must be a decimal string"),
        (_doc(window=["a"]), "window must be"),
        (_doc(params={"dataset": "assets"}), "params must have exactly the fields"),
        (_doc(params=None), "params must be an object"),
        (_params(filters=[]), "params.filters must be an object"),
        (_params(page_size="100"), "params.page_size must be an integer or null"),
        (_params(key=1), "params.key must be a string"),
        (b'{"records": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
        (_doc(complete="yes"), "complete must be true or false"),
        (b'{"version": 2}', "missing or malformed field"),
    ],
)
def test_refuses_broken_checkpoints(data: bytes, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        read_checkpoint(data)


def test_differences_name_each_filter_and_setting() -> None:
    assert ASKED.differences(ASKED) == []
    other = attrs.evolve(ASKED, filters={**ASKED.filters, "quote": "usdc"}, page_size=None)
    assert ASKED.differences(other) == [
        "quote: checkpoint 'usdt', now 'usdc'",
        "page_size: checkpoint 100, now None",
    ]
    rekeyed = attrs.evolve(ASKED, key=key_fingerprint("someone-else"))
    (diff,) = ASKED.differences(rekeyed)
    assert diff == "API key: the checkpoint was made with another key"
    volume = attrs.evolve(ASKED, dataset="volume", filters={"uid": None})
    assert ASKED.differences(volume)[0] == "dataset: checkpoint 'assets', now 'volume'"


# -- checkpoints written by earlier releases -------------------------------------------------

#: An assets checkpoint as the release before this one wrote it (version 1).
ASSETS_V1: dict[str, Any] = {
    "version": 1,
    "params": {
        "quote": "usdt",
        "uid": None,
        "start": "2026-03-01 00:00:00",
        "end": None,
        **SETTINGS,
    },
    "last_uid": 10000399,
    "records": 400,
    "partial_bytes": 40123,
    "complete": False,
    "sums": {
        "total_deposit": "123456789012345678901234567890.12345678",
        "total_withdrawal": "-0",
        "current_balance": "0.00000000",
    },
}
#: An invitee checkpoint as the release before this one wrote it (``dataset-1``).
INVITEES_V1: dict[str, Any] = {
    "version": "dataset-1",
    "params": {
        "dataset": "invitees",
        "uid": None,
        "referral_code": "ABC",
        "start": None,
        "end": None,
        **SETTINGS,
    },
    "window": ["2017-01-01 00:00:00", "2026-06-15 12:00:00"],
    "records": 250,
    "partial_bytes": 9000,
    "complete": False,
}


def _v1(doc: dict[str, Any], **changes: Any) -> bytes:
    return json.dumps({**doc, **changes}).encode()


def test_an_assets_checkpoint_of_version_1_reads_as_todays() -> None:
    checkpoint = read_checkpoint(_v1(ASSETS_V1))
    # What the same command line asks today: a resume of it is not refused.
    assert checkpoint.asked == ASKED and not checkpoint.asked.differences(ASKED)
    assert checkpoint.window is None  # assets never had a frozen window
    assert (checkpoint.records, checkpoint.sums, checkpoint.partial_bytes) == (400, SUMS, 40123)
    assert not checkpoint.complete


def test_a_dataset_1_checkpoint_reads_as_todays() -> None:
    checkpoint = read_checkpoint(_v1(INVITEES_V1))
    asked = Asked(
        dataset="invitees",
        filters=plain_filters(
            filters_for(INVITEES, None, None, uid=None, referral_code="ABC", quote="usdt")
        ),
        **SETTINGS,
    )
    assert checkpoint.asked == asked
    assert checkpoint.window == ("2017-01-01 00:00:00", "2026-06-15 12:00:00")
    assert (checkpoint.records, checkpoint.sums) == (250, None)  # read back from the file
    volume = read_checkpoint(
        _v1(INVITEES_V1, params={**INVITEES_V1["params"], "dataset": "volume"})
    )
    assert volume.asked.dataset == "volume"
    assert volume.asked.filters == {"uid": None, "start_date": None, "end_date": None}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_v1(ASSETS_V1, partial_bytes=-1), "partial_bytes must be a non-negative integer"),
        (_v1(ASSETS_V1, records="400"), "records must be a non-negative integer"),
        (_v1(ASSETS_V1, last_uid=None), "last_uid and records disagree"),
        (_v1(ASSETS_V1, last_uid=True), "last_uid must be a positive integer"),
        (_v1(ASSETS_V1, sums={"total_deposit": "1"}), "missing or malformed field"),
        (
            _v1(
                ASSETS_V1,
                sums={"total_deposit": "x", "total_withdrawal": "0", "current_balance": "0"},
            ),
            "sums.total_deposit must be a decimal string",
        ),
        (_v1(ASSETS_V1, params={"quote": "usdt"}), "params must have exactly the fields"),
        (_v1(ASSETS_V1, params=None), "params must be an object"),
        (_v1(ASSETS_V1, complete="yes"), "complete must be true or false"),
        (_v1(INVITEES_V1, window=["a"]), "window must be"),
        (_v1(INVITEES_V1, params=[]), "params must be an object"),
        (_v1(INVITEES_V1, params={"dataset": "trades"}), "unknown dataset 'trades'"),
        (_v1(INVITEES_V1, records=-1), "records must be a non-negative integer"),
        (_v1({"version": "dataset-1"}), "missing or malformed field"),
    ],
)
def test_refuses_broken_checkpoints_of_earlier_releases(data: bytes, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        read_checkpoint(data)


def test_atomic_write_replaces(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    atomic_write(path, b"one")
    atomic_write(path, b"two")
    assert path.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]


def test_atomic_write_failure_keeps_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.json"
    atomic_write(path, b"old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        atomic_write(path, b"new")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]  # no temp file left


def test_partial_file_appears_at_target_only_on_commit(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    partial = PartialFile(partial_path(target))
    partial.write(b"header\n")
    assert partial.sync() == 7
    partial.write(b"row\n")
    assert not target.exists()
    partial.commit(target)
    assert target.read_bytes() == b"header\nrow\n"
    assert not partial_path(target).exists()


def test_fresh_partial_file_drops_old_content(tmp_path: Path) -> None:
    path = tmp_path / ".out.csv.partial"
    path.write_bytes(b"stale")
    partial = PartialFile(path)
    partial.write(b"new")
    partial.sync()
    partial.close()
    assert path.read_bytes() == b"new"


def test_resume_cuts_back_to_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / ".out.csv.partial"
    path.write_bytes(b"header\nrow1\nrow2-written-after-checkp")
    partial = PartialFile(path, resume_at=12)
    assert partial.sync() == 12
    partial.write(b"row2\n")
    assert partial.sync() == 17
    partial.close()
    assert path.read_bytes() == b"header\nrow1\nrow2\n"


def test_resume_refuses_a_short_or_missing_partial(tmp_path: Path) -> None:
    path = tmp_path / ".out.csv.partial"
    with pytest.raises(CheckpointError, match="missing"):
        PartialFile(path, resume_at=5)
    path.write_bytes(b"abc")
    with pytest.raises(CheckpointError, match="has 3 bytes, the checkpoint needs 5"):
        PartialFile(path, resume_at=5)
    assert path.read_bytes() == b"abc"  # left as it was


def test_discard(tmp_path: Path) -> None:
    path = tmp_path / ".out.csv.partial"
    partial = PartialFile(path)
    partial.write(b"x")
    partial.discard()
    assert not path.exists()


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_a_second_writer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / ".out.csv.partial"
    first = PartialFile(path)
    first.write(b"header\n")
    first.sync()
    with pytest.raises(CheckpointError, match="another export is writing"):
        PartialFile(path)
    with pytest.raises(CheckpointError, match="another export is writing"):
        PartialFile(path, resume_at=0)
    assert path.read_bytes() == b"header\n"  # not truncated by the refused one
    first.close()
    PartialFile(path, resume_at=7).close()
