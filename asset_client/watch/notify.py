"""Sending one event to the user's notification URLs through apprise (Telegram, Discord,
Slack, e-mail, JSON webhooks... by URL).

The sharp edge: a notification URL is a secret (``tgram://TOKEN/...``): it is kept only
inside the apprise objects; what is shown, logged or stored is its `label` (scheme and a
short hash).  apprise's own logger is silenced, since its messages may quote the URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any, Literal

from asset_client.store.events import Event

__all__ = ["INSTALL_HINT", "Notifier", "NotifyError", "label", "message"]

INSTALL_HINT = "--notify needs apprise: pip install 'asset-client[watch]'"

Format = Literal["text", "json"]


class NotifyError(ValueError):
    """A notification URL apprise cannot use, or apprise missing (a usage error)."""


def label(url: str) -> str:
    """How a notification URL is shown: its scheme and a hash, never its secrets."""
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"{scheme}://…#{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def message(event: Event, fmt: Format) -> tuple[str, str]:
    """(title, body) of one event: in words with its id, or the event as JSON."""
    title = f"asset-client: {event.kind.value}"
    if fmt == "json":
        return title, json.dumps(event.as_json(), sort_keys=True)
    return title, f"{event.describe()} (event {event.id})"


class Notifier:
    """One apprise target per URL, so each answer is known on its own."""

    def __init__(self, urls: Sequence[str], fmt: Format = "text", timeout: float = 10.0) -> None:
        try:
            import apprise
        except ImportError:
            raise NotifyError(INSTALL_HINT) from None
        logging.getLogger("apprise").setLevel(logging.CRITICAL + 1)
        self.fmt: Format = fmt
        self.labels = [label(u) for u in urls]
        self._targets: list[Any] = []
        for url, shown in zip(urls, self.labels, strict=True):
            target = apprise.Apprise()
            if not target.add(url):
                raise NotifyError(f"--notify {shown}: not a notification URL apprise knows")
            self._targets.append(target)
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"Notifier({', '.join(self.labels)}, fmt={self.fmt!r})"

    async def send(self, event: Event) -> list[str]:
        """Send to every target; the labels of those that refused (empty: all took it)."""
        title, body = message(event, self.fmt)
        failed = []
        for shown, target in zip(self.labels, self._targets, strict=True):
            ok = await asyncio.to_thread(target.notify, body=body, title=title)
            if not ok:
                failed.append(shown)
        return failed
