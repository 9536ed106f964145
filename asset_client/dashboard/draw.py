"""Draws the dashboard's charts in a worker process (`asset_client.dashboard.worker`),
started before the history is read, so that its start overlaps the reading.

Why a process: vl-convert holds the GIL while it starts its engine and draws (about two
seconds with Altair's import), so only a process of its own overlaps that with reading
the history.  The sharp edge: pickle, so it only ever talks to the `build_dashboard`
that started it, through pipes (never a file or a socket).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from asset_client.dashboard.aggregate import Dashboard
from asset_client.dashboard.page import Chart

__all__ = ["Drawer"]


class Drawer:
    """The worker, started at once; `charts` hands it a dashboard and returns what it
    drew.  A context manager: leaving it ends the worker if it still runs."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[2])  # where asset_client is imported from
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (root, env.get("PYTHONPATH"))))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "asset_client.dashboard.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def charts(self, dashboard: Dashboard) -> list[Chart]:
        out, _ = self._process.communicate(pickle.dumps(dashboard))
        if self._process.returncode != 0:
            raise RuntimeError(f"the chart worker failed (exit {self._process.returncode})")
        charts: list[Chart] = pickle.loads(out)  # noqa: S301 - from our own worker
        return charts

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()
