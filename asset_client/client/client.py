"""`AssetClient`: CoinW's partner API (invitee assets, the invited user list, their daily
trading volume) by name, on the generic client of any endpoint (`EndpointClient`).

Each named call is a thin `get_page` or `walk` of one `Endpoint` with that endpoint's
filters spelled out (and typed) as keywords.  Sharp edge: the assets calls keep their
historical spellings (``after_uid``/``start_offset`` for a resume, a lookup by uid whose
errors name the uid rather than "page 1"); everything else is the generic path.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self, TypeVar

from asset_client.client.base import DEFAULT_BASE_URL, EndpointClient
from asset_client.client.options import UNSET, view_with
from asset_client.client.qualify import qualify as _qualify
from asset_client.client.settings import checked_base_url
from asset_client.client.stats import ClientStats
from asset_client.client.walk_iter import WalkIterator
from asset_client.core.query import JAVA_LONG_MAX, Quote, check_int, validate_uid
from asset_client.core.walk import Resume
from asset_client.endpoints import ASSETS, INVITEES, VOLUME
from asset_client.errors import (
    AssetClientError,
    InvalidParameterError,
    ResponseDecodeError,
    relabel_for_lookup,
)
from asset_client.records import (
    AssetPage,
    DailyVolume,
    Invitee,
    InviteeAsset,
    InviteePage,
    Qualification,
    VolumePage,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PAGE_SIZE",
    "FALLBACK_PAGE_SIZE",
    "AssetClient",
    "ClientStats",
    "checked_base_url",
]

Q = TypeVar("Q")
R = TypeVar("R")

#: What an assets walk asks for first, and falls back to if refused (`ASSETS.limits`).
DEFAULT_PAGE_SIZE = ASSETS.limits.default
FALLBACK_PAGE_SIZE = ASSETS.limits.fallback


class AssetClient(EndpointClient):
    """Async client for CoinW's partner (affiliate) API: the assets of your direct
    invitees, the invited user list and their daily trading volume.

    ::

        async with AssetClient(api_key, secret_key) as client:
            async for asset in client.iter_invitee_assets(quote="usdt"):
                ...

    - Pass ``session`` to share an `aiohttp.ClientSession`; the client then never
      closes it.  Without one it opens its own and closes it on exit.
    - Requests are limited per API key and endpoint, shared by every process that uses
      the key through ``limiter``: ``"host"`` (the default: every process of this user
      on this machine), ``"process"`` (this process only) or ``"redis://host:port/db"``
      (every host that uses that Redis); else the ``ASSET_CLIENT_LIMITER`` environment
      variable.  ``global_rate_limit`` adds CoinW's account-wide limit across endpoints
      (one more lane of the same budget).  ``limiter_registry``: where this process
      keeps each key's limiters (default: `asset_client.limit.default_registry`).  See
      `RateLimit` and docs/limits.md.
    - ``server_timezone`` is the zone of the server's ``yyyy-MM-dd HH:mm:ss`` strings,
      both the times sent and the times decoded.  CoinW does not document it; the
      default is UTC.
    - ``timeout`` bounds one attempt, start to last byte; ``page_timeout`` bounds all
      attempts at one page together (limiter waits and backoff not counted), so a
      server that drips its answer fails in bounded time.  ``max_body_size`` (16 MiB)
      caps an answer's body, decompressed; a larger one is `ResponseTooLargeError`,
      never retried.  Both hold for every endpoint, GET and POST.
    - ``sleep`` and ``rng`` are injectable so tests never wait for real backoff.
    - ``hooks``: `Hooks` objects told of every request, answer, retry, rate-limit
      pause, records yielded and walk end (for metrics; one that raises is logged and
      ignored).
    - ``stats`` adds up the client's whole life (``stats.reset()`` zeroes it); each
      walk's own ``stats`` count that walk alone.
    - Identical lookups in flight (same endpoint, filters and page) share one request;
      ``lookup_cache_ttl`` (seconds, default 0: off) keeps single-uid answers that long
      (``client.lookups``: counters, ``clear()``).
    """

    # -- one question, and per-call options -------------------------------------------------

    async def qualify(
        self,
        uid: int,
        *,
        min_deposit: Decimal | int | str | None = None,
        min_volume: Decimal | int | str | None = None,
        days: int = 30,
        quote: Quote = "usdt",
    ) -> Qualification:
        """Is ``uid`` a direct invitee, and did it deposit at least ``min_deposit`` and
        trade at least ``min_volume`` over the last ``days`` days of server time (today
        included)?  No thresholds: qualified means "is an invitee".

        Sends the fewest requests that answer it: one assets lookup (nothing more for a
        uid that is not an invitee), then the uid's registration from the invitee list
        and, only with ``min_volume``, its volumes.  Bad arguments raise
        `InvalidParameterError` before any request.  See docs/verify.md.
        """
        clock = self._requests.signer.clock
        return await _qualify(
            self, clock, uid, min_deposit=min_deposit, min_volume=min_volume, days=days, quote=quote
        )

    def with_options(
        self,
        *,
        timeout: float = UNSET,
        max_retries: int = UNSET,
        max_wait: float | None = UNSET,
    ) -> Self:
        """A view of this client with other per-call options; it shares the session,
        the limiters, the hooks, the stats and the in-flight lookups, and the client is
        unchanged::

            page = await client.with_options(max_wait=2).get_invitee_asset(uid)

        Values are checked now.  Closing a view stops only its own walks.
        """
        return view_with(self, timeout=timeout, max_retries=max_retries, max_wait=max_wait)

    # -- invitee assets --------------------------------------------------------------------

    async def get_invitee_assets_page(
        self,
        *,
        page_no: int = 1,
        page_size: int = ASSETS.limits.single,
        quote: Quote = "usdt",
        uid: int | None = None,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
    ) -> AssetPage:
        """Fetch one page exactly as asked (no fallback, no re-planning).

        With ``uid`` it is a lookup of one invitee: errors name the uid, not a page.
        """
        filters: dict[str, Any] = {
            "quote": quote,
            "uid": uid,
            "start_time": start_time,
            "end_time": end_time,
        }
        try:
            return await self.get_page(ASSETS, page_no=page_no, page_size=page_size, **filters)
        except AssetClientError as exc:
            if uid is not None and page_no == 1:
                relabel_for_lookup(exc, uid)
            raise

    async def get_invitee_asset(
        self,
        uid: int,
        *,
        quote: Quote = "usdt",
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
    ) -> InviteeAsset | None:
        """The assets of invitee ``uid``, or None if ``uid`` is not a direct invitee:
        one request (filtered by uid), for "is this my invitee, and did they deposit?".

        Errors name ``uid N``, not a page.  An answer holding any other uid means the
        server ignored the filter: `ResponseDecodeError`, never a wrong record.
        """
        if uid is None:  # a lookup needs its uid; the uid filter alone lets None mean "any"
            raise InvalidParameterError(
                f"uid must be an integer from 1 to {JAVA_LONG_MAX}, got None", field="uid"
            )
        validate_uid(uid)  # the one uid rule (1 .. Java long), before any request
        filters: dict[str, Any] = {
            "quote": quote,
            "uid": uid,
            "start_time": start_time,
            "end_time": end_time,
        }
        try:
            page = await self.get_page(ASSETS, **filters)
            others = sorted({asset.uid for asset in page.items if asset.uid != uid})
            if others:
                raise ResponseDecodeError(
                    f"asked for uid {uid} but the answer holds uid(s) {others[:5]}: the "
                    "server ignored the uid filter"
                )
        except AssetClientError as exc:
            relabel_for_lookup(exc, uid)
            raise
        return page.items[0] if page.items else None

    def iter_invitee_assets(
        self,
        *,
        quote: Quote = "usdt",
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        uid: int | None = None,
        page_size: int | None = None,
        after_uid: int | None = None,
        start_offset: int = 0,
        resume: Resume | None = None,
    ) -> WalkIterator[InviteeAsset]:
        """Every matching invitee once, in uid order, fetching pages concurrently.

        Arguments are checked now, before any request.  ``page_size=None`` asks for
        the largest page the docs allow (1000) and falls back to 100 if the server
        refuses it; an explicit size is sent as given.  Break out early inside
        ``contextlib.aclosing(...)`` to stop the pages in flight at once (they are
        also stopped when the generator is collected or the client closes).

        To resume, pass ``after_uid`` (the last uid you have: only later ones are
        yielded) and ``start_offset`` (how many records you have: whole pages of them
        are skipped), or the same as ``resume=Resume(after_uid, start_offset)``.  If the
        data moved so that the skip could miss a record, the walk starts again from page
        1, still yielding only uids after ``after_uid``.

        The result is an async generator whose ``stats`` count this walk alone.
        """
        resume = _asset_resume(after_uid, start_offset, resume)
        return self.walk(
            ASSETS,
            page_size=page_size,
            resume=resume,
            quote=quote,
            uid=uid,
            start_time=start_time,
            end_time=end_time,
        )

    # -- the invited user list -------------------------------------------------------------

    async def get_invitees_page(
        self,
        *,
        page_no: int = 1,
        page_size: int = INVITEES.limits.single,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        uid: int | None = None,
        referral_code: str | None = None,
    ) -> InviteePage:
        """One page of the directly invited user list, newest registration first.

        A missing bound is filled as a walk fills it (from 2017-01-01 up to now, server
        time), never left to the server, whose default is the current month only.
        """
        return await self.get_page(
            INVITEES,
            page_no=page_no,
            page_size=page_size,
            start_time=start_time,
            end_time=end_time,
            uid=uid,
            referral_code=referral_code,
        )

    def iter_invitees(
        self,
        *,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        uid: int | None = None,
        referral_code: str | None = None,
        page_size: int | None = None,
        resume: Resume | None = None,
    ) -> WalkIterator[Invitee]:
        """Every matching direct invitee once, newest registration first.

        With no window: every invitee ever (2017-01-01 up to now, server time) — never the
        server's current-month default.  The window is frozen when the walk starts, so
        later registrations cannot shift its pages.  Arguments are checked now, before
        any request; ``resume`` as for `walk` (``after`` a registration time).
        """
        return self.walk(
            INVITEES,
            page_size=page_size,
            resume=resume,
            start_time=start_time,
            end_time=end_time,
            uid=uid,
            referral_code=referral_code,
        )

    # -- daily trading volume --------------------------------------------------------------

    async def get_trading_volume_page(
        self,
        *,
        page_no: int = 1,
        page_size: int = VOLUME.limits.single,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        uid: int | None = None,
    ) -> VolumePage:
        """One page of daily trading volumes, newest day first (a signed POST).

        Without dates the server means the past 30 days (its default, kept).
        """
        return await self.get_page(
            VOLUME,
            page_no=page_no,
            page_size=page_size,
            start_date=start_date,
            end_date=end_date,
            uid=uid,
        )

    def iter_trading_volume(
        self,
        *,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        uid: int | None = None,
        page_size: int | None = None,
        resume: Resume | None = None,
    ) -> WalkIterator[DailyVolume]:
        """Every matching (uid, day) volume once, newest day first.

        Without dates the server's own default applies: the past 30 days.  ``resume`` as
        for `walk` (``after`` a day, ``tied`` the ``(uid, day)`` pairs of that day).
        """
        return self.walk(
            VOLUME,
            page_size=page_size,
            resume=resume,
            start_date=start_date,
            end_date=end_date,
            uid=uid,
        )


def _asset_resume(after_uid: object, start_offset: object, resume: Resume | None) -> Resume | None:
    """The resume point of an assets walk, from ``after_uid``/``start_offset`` or
    ``resume`` (not both).  Without ``after_uid`` the offset is ignored: with no uid to
    check the skip against, skipping pages could lose records."""
    if after_uid is None:
        check_int(start_offset, "start_offset", 0, JAVA_LONG_MAX)
        return resume
    if resume is not None:
        raise InvalidParameterError(
            "give resume or after_uid/start_offset, not both", field="resume"
        )
    after = check_int(after_uid, "after_uid", 0, JAVA_LONG_MAX)
    return Resume(after, check_int(start_offset, "start_offset", 0, JAVA_LONG_MAX))
