"""Where the key and secret come from: the environment or a private file, never argv.

The command line is visible to every user through ``ps`` and stays in shell history, so
no option takes a secret.  Sharp edge: a credentials file readable by group or others is
refused (as ssh refuses such a private key), and error messages name a line of it, never
its content, which may be the secret.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
from pathlib import Path

from asset_client.client.env import ENV_API_KEY, ENV_SECRET_KEY
from asset_client.export.run import Credentials, ExportError

__all__ = ["credentials_for", "load_credentials_file"]

_KEY_NAMES = {
    "api_key": "api_key",
    ENV_API_KEY.lower(): "api_key",
    "secret_key": "secret_key",
    ENV_SECRET_KEY.lower(): "secret_key",
}


def _read_private(path: Path) -> str:
    try:
        info = path.stat()
        if os.name == "posix" and stat.S_IMODE(info.st_mode) & 0o077:
            raise ExportError(
                f"{path} is readable by other users (mode {stat.S_IMODE(info.st_mode):o}); "
                f"run: chmod 600 {path}"
            )
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot read credentials file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ExportError(f"credentials file {path} is not UTF-8 text") from None


def _json_values(path: Path, text: str) -> dict[str, str]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError(f"credentials file {path}: invalid JSON (line {exc.lineno})") from None
    values: dict[str, str] = {}
    if isinstance(doc, dict):
        for key, value in doc.items():
            name = _KEY_NAMES.get(str(key).lower())
            if name and isinstance(value, str):
                values[name] = value
    return values


def _line_values(path: Path, text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            raise ExportError(f"credentials file {path}: line {number} is not key=value")
        name = _KEY_NAMES.get(key.strip().lower())
        if name:
            values[name] = value.strip().strip("'\"")
    return values


def load_credentials_file(path: Path) -> Credentials:
    """Read ``api_key``/``secret_key`` from a ``key=value`` or JSON file (mode 600)."""
    text = _read_private(path)
    read = _json_values if text.lstrip().startswith("{") else _line_values
    values = read(path, text)
    missing = [name for name in ("api_key", "secret_key") if not values.get(name)]
    if missing:
        raise ExportError(f"credentials file {path} has no {' and no '.join(missing)}")
    return Credentials(api_key=values["api_key"], secret_key=values["secret_key"])


def credentials_for(args: argparse.Namespace) -> Credentials | None:
    """The credentials the command line asks for; None with ``--sandbox``."""
    if args.sandbox:
        return None  # the embedded sandbox brings its demo pair
    if args.credentials_file is not None:
        return load_credentials_file(args.credentials_file)
    api_key = os.environ.get(ENV_API_KEY, "").strip()
    secret_key = os.environ.get(ENV_SECRET_KEY, "").strip()
    if not api_key or not secret_key:
        missing = [n for n, v in ((ENV_API_KEY, api_key), (ENV_SECRET_KEY, secret_key)) if not v]
        raise ExportError(
            f"no credentials: set {' and '.join(missing)} in the environment, or pass "
            "--credentials-file (or try --sandbox)"
        )
    return Credentials(api_key=api_key, secret_key=secret_key)
