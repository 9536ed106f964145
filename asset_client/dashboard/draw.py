"""Draws the dashboard's charts in a worker process (`asset_client.dashboard.worker`),
started before the history is read: its start overlaps the reading, and the charts of
the snapshots (trends, daily volume) are drawn while the KPIs are computed.

Why a process: vl-convert holds the GIL while it starts its engine and draws (about two
seconds with Altair's import), so only a process of its own runs beside the reading.
The sharp edge: pickle, so it only ever talks to the `build_dashboard` that started it,
through pipes (never a file or a socket); a thread drains its answers, so neither side
can block the other on a full pipe.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import Literal

from asset_client.dashboard.aggregate import Dashboard
from asset_client.dashboard.page import Chart

__all__ = ["Drawer", "Part"]

#: Which charts of a dashboard: those of the snapshots alone, or those of the KPIs.
Part = Literal["snapshots", "kpis"]


class Drawer:
    """The worker, started at once.  `draw` hands it a part of a dashboard; `charts`
    returns everything drawn, in the order asked.  A context manager: leaving it ends
    the worker if it still runs."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[2])  # where asset_client comes from
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (root, env.get("PYTHONPATH"))))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "asset_client.dashboard.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._drawn: list[list[Chart]] = []
        self._reader = threading.Thread(target=self._read, name="dashboard-charts", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        while True:
            try:
                self._drawn.append(pickle.load(stdout))  # noqa: S301 - our own worker
            except EOFError:
                return

    def draw(self, part: Part, dashboard: Dashboard) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        pickle.dump((part, dashboard), stdin)
        stdin.flush()

    def charts(self) -> list[Chart]:
        """Every chart drawn, once the worker has finished (raises if it failed)."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._reader.join()
        if self._process.wait() != 0:
            raise RuntimeError(f"the chart worker failed (exit {self._process.returncode})")
        return [chart for drawn in self._drawn for chart in drawn]

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()
