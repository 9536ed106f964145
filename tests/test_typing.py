"""The typing examples in tests/typing/ are what mypy checks; here, proof that mypy
rejects each wrong call in them (without the ignores, every one is an error)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

EXAMPLES = Path(__file__).parent / "typing" / "api_types.py"


def test_every_rejected_call_is_an_error_without_its_ignore(tmp_path: Path) -> None:
    source = EXAMPLES.read_text()
    lines = enumerate(source.splitlines(), 1)
    ignored = [n for n, line in lines if re.search(r"  # type: ignore\[[a-z-]+\]$", line)]
    assert len(ignored) >= 10
    bare = tmp_path / "api_types_bare.py"
    bare.write_text(re.sub(r"  # type: ignore\[[a-z-]+\]", "", source))
    out, _, status = mypy_api.run(
        ["--strict", "--no-incremental", "--follow-imports=silent", str(bare)]
    )
    assert status == 1, out
    error_lines = {int(m) for m in re.findall(r"api_types_bare\.py:(\d+): error", out)}
    assert error_lines == set(ignored), out
