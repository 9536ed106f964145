"""Every example program in examples/ runs as written against the embedded sandbox."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

#: A line each program must print: proof it did its job, not just that it exited 0.
EXPECTED = {
    "service.py": "usdt: 2500 invitees,",
    "chat_bot.py": "1 is not one of your direct invitees.",
    "cron_export.py": "status ok (exit 0)",
    "history_bot.py": "invitees traded since the last sync",
    "telegram_verify_bot.py": "30 users asked at once: 1 distinct reply, 1 request",
    "prometheus_metrics.py": 'asset_client_walks_total{endpoint="assets",outcome="finished"} 1.0',
}


def test_every_example_has_an_expectation() -> None:
    assert sorted(p.name for p in EXAMPLES) == sorted(EXPECTED)


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_against_the_sandbox(program: Path, tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our own example, with this interpreter
        [sys.executable, str(program), str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert EXPECTED[program.name] in result.stdout, result.stdout
    assert "Traceback" not in result.stderr
