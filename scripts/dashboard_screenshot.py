"""Regenerates docs/img/dashboard.png: the sandbox dashboard as Debian's headless chromium
draws it (``python scripts/dashboard_screenshot.py [--out PNG] [--width W --height H]``).

The page comes from ``asset-client dashboard --sandbox``; chromium opens it with every
request sent to a closed local port, so the picture is what an offline reader sees.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from asset_client.cli.main import main as cli

ROOT = Path(__file__).resolve().parent.parent


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on return: a request there fails


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/dashboard_screenshot.py")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "dashboard.png")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--timezone", default="UTC")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="asset-client-shot-") as tmp:
        page = Path(tmp) / "dashboard.html"
        status = cli(["dashboard", "--sandbox", "--out", str(page), "--timezone", args.timezone])
        if status != 0:
            return status
        args.out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # noqa: S603 - the local chromium on our own file
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={Path(tmp) / 'profile'}",
                f"--proxy-server=http://127.0.0.1:{_closed_port()}",
                "--proxy-bypass-list=<-loopback>",
                "--force-prefers-reduced-motion",
                f"--window-size={args.width},{args.height}",
                f"--screenshot={args.out.resolve()}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
