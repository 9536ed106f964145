"""Checkpoint model, partial file and atomic writes (no server needed)."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from asset_client.export.files import (
    Checkpoint,
    CheckpointError,
    ExportParams,
    PartialFile,
    Sums,
    atomic_write,
    checkpoint_path,
    key_fingerprint,
    load_checkpoint,
    param_differences,
    partial_path,
)

PARAMS = ExportParams(
    quote="usdt",
    uid=None,
    start="2026-03-01 00:00:00",
    end=None,
    page_size=100,
    format="csv",
    source="https://api.coinw.com",
    server_timezone="UTC",
    key=key_fingerprint("my-api-key"),
)
CHECKPOINT = Checkpoint(
    params=PARAMS,
    last_uid=10000399,
    sums=Sums(
        records=400,
        total_deposit=Decimal("123456789012345678901234567890.12345678"),
        total_withdrawal=Decimal("-0"),
        current_balance=Decimal("0.00000000"),
    ),
    partial_bytes=40_123,
)


def test_paths_sit_beside_the_target() -> None:
    target = Path("/data/out/invitees.csv")
    assert partial_path(target) == Path("/data/out/.invitees.csv.partial")
    assert checkpoint_path(target) == Path("/data/out/invitees.csv.checkpoint.json")


def test_round_trip() -> None:
    data = CHECKPOINT.to_json()
    assert Checkpoint.from_json(data) == CHECKPOINT
    doc = json.loads(data)
    assert doc["version"] == 1
    assert doc["records"] == 400
    assert doc["sums"]["total_deposit"] == "123456789012345678901234567890.12345678"
    assert doc["sums"]["total_withdrawal"] == "-0"


def test_fresh_checkpoint_round_trip() -> None:
    fresh = Checkpoint(params=PARAMS, last_uid=None, sums=Sums(), partial_bytes=10)
    assert Checkpoint.from_json(fresh.to_json()) == fresh


def test_holds_no_api_key() -> None:
    assert b"my-api-key" not in CHECKPOINT.to_json()
    assert key_fingerprint("my-api-key") != key_fingerprint("other-key")
    assert len(key_fingerprint("my-api-key")) == 16


def _doc(**changes: Any) -> bytes:
    doc = json.loads(CHECKPOINT.to_json())
    doc.update(changes)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b"\xff\xfe", "not valid JSON"),
        (_doc(version=2), "format version 2"),
        (_doc(partial_bytes=-1), "partial_bytes must be a non-negative integer"),
        (_doc(records="400"), "records must be a non-negative integer"),
        (_doc(last_uid=None), "last_uid and records disagree"),
        (_doc(last_uid=True), "last_uid must be a positive integer"),
        (_doc(sums={"total_deposit": "1"}), "missing or malformed field"),
        (
            _doc(sums={"total_deposit": "x", "total_withdrawal": "0", "current_balance": "0"}),
            "sums.total_deposit must be a decimal string",
        ),
        (
            _doc(sums={"total_deposit": 1.5, "total_withdrawal": "0", "current_balance": "0"}),
            "sums.total_deposit must be a decimal string",
        ),
        (_doc(params={"quote": "usdt"}), "params must have exactly the fields"),
        (_doc(params=None), "params must be an object"),
        (b'{"records": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
        (_doc(complete="yes"), "complete must be true or false"),
    ],
)
def test_refuses_broken_checkpoints(data: bytes, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.from_json(data)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / "nope.json")


def test_param_differences() -> None:
    assert param_differences(PARAMS, PARAMS) == []
    other = attrs.evolve(PARAMS, quote="usdc", page_size=None)
    assert param_differences(PARAMS, other) == [
        "quote: checkpoint 'usdt', now 'usdc'",
        "page_size: checkpoint 100, now None",
    ]
    rekeyed = attrs.evolve(PARAMS, key=key_fingerprint("someone-else"))
    (diff,) = param_differences(PARAMS, rekeyed)
    assert diff == "API key: the checkpoint was made with another key"


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
    assert partial.synced == 12
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
