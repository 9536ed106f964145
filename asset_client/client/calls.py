"""The invitee-list and trading-volume calls and the generic walk of any `Endpoint`.

`AssetClient` inherits `PartnerCalls` (itself on `RequestLoop`, the one request loop in
`_requests`).  Sharp edge: the invitee window is resolved and frozen when a call or walk
starts (2017-01-01 up to *now*, server time), never left to the server's current-month
default; later registrations stay outside it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Coroutine
from datetime import date, datetime
from typing import Any, TypeVar

from asset_client.client.requests import RequestLoop
from asset_client.client.stats import WalkStats
from asset_client.client.walk_iter import WalkIterator
from asset_client.core.list_query import InviteeQuery, resolve_invitee_window
from asset_client.core.query import validate_page_no
from asset_client.core.walk import Resume, Walk
from asset_client.endpoints import INVITEES, VOLUME, Endpoint
from asset_client.endpoints.base import PageOf
from asset_client.limit.limiter import KeyLimiter, Ticket
from asset_client.records import DailyVolume, Invitee, InviteePage, VolumePage

__all__ = ["PartnerCalls"]

logger = logging.getLogger("asset_client")

Q = TypeVar("Q")
R = TypeVar("R")
P = TypeVar("P", bound=PageOf[Any])


class PartnerCalls(RequestLoop):
    """Mixin of `AssetClient`: the invitee/volume calls and the walk of any endpoint."""

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._wall_clock(), self.server_timezone)

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
        validate_page_no(page_no)
        INVITEES.limits.check(page_size)
        query = self._invitee_query(
            start_time=start_time, end_time=end_time, uid=uid, referral_code=referral_code
        )
        return await self._fetch_page(INVITEES, query, page_no, page_size)

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
        validate_page_no(page_no)
        VOLUME.limits.check(page_size)
        query = VOLUME.validate(
            uid=uid, start_date=start_date, end_date=end_date, server_tz=self.server_timezone
        )
        return await self._fetch_page(VOLUME, query, page_no, page_size)

    # -- walks ---------------------------------------------------------------------------

    def walk(
        self,
        endpoint: Endpoint[Q, R, P],
        *,
        page_size: int | None = None,
        resume: Resume | None = None,
        **filters: Any,
    ) -> WalkIterator[R]:
        """Every record of ``endpoint`` that matches ``filters`` once, in the server's order.

        ``filters`` are the endpoint's own (checked now, before any request, and rendered
        in ``server_timezone``).  ``resume``: the caller already has every record up to
        ``resume.after`` (a sort-key value), ``resume.had`` of them; only later ones are
        yielded.  ``page_size=None`` asks for the endpoint's largest page and falls back
        if the server refuses it.
        """
        query = endpoint.validate(**filters, server_tz=self.server_timezone)
        if endpoint.prepare is not None:
            query = endpoint.prepare(query, self._now(), self.server_timezone)
        if page_size is not None:
            endpoint.limits.check(page_size)
        return self._walk_endpoint(endpoint, query, page_size, resume=resume)

    def _invitee_query(
        self,
        *,
        start_time: object = None,
        end_time: object = None,
        uid: object = None,
        referral_code: object = None,
    ) -> InviteeQuery:
        """The list filters checked, with the window resolved and frozen *now*.

        Freezing the end at the walk's start keeps later registrations outside the
        window, so they cannot shift its pages (if the server's clock lags, the walk still
        drops the repeats of shifted pages by uid).
        """
        query = INVITEES.validate(
            uid=uid,
            referral_code=referral_code,
            start_time=start_time,
            end_time=end_time,
            server_tz=self.server_timezone,
        )
        return resolve_invitee_window(query, self._now(), self.server_timezone)

    def iter_invitees(
        self,
        *,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        uid: int | None = None,
        referral_code: str | None = None,
        page_size: int | None = None,
    ) -> WalkIterator[Invitee]:
        """Every matching direct invitee once, newest registration first.

        With no window: every invitee ever (2017-01-01 up to now, server time) — never the
        server's current-month default.  Arguments are checked now, before any request.
        """
        query = self._invitee_query(
            start_time=start_time, end_time=end_time, uid=uid, referral_code=referral_code
        )
        if page_size is not None:
            INVITEES.limits.check(page_size)
        return self._walk_endpoint(INVITEES, query, page_size)

    def iter_trading_volume(
        self,
        *,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        uid: int | None = None,
        page_size: int | None = None,
    ) -> WalkIterator[DailyVolume]:
        """Every matching (uid, day) volume once, newest day first.

        Without dates the server's own default applies: the past 30 days.
        """
        query = VOLUME.validate(
            uid=uid, start_date=start_date, end_date=end_date, server_tz=self.server_timezone
        )
        if page_size is not None:
            VOLUME.limits.check(page_size)
        return self._walk_endpoint(VOLUME, query, page_size)

    def _drive(
        self,
        walk: Walk[R],
        fetch: Callable[[int, int, Ticket], Coroutine[Any, Any, PageOf[R]]],
        limiter: KeyLimiter,
        stats: WalkStats,
        *,
        endpoint: str = "assets",
        remember_fallback: bool = False,
    ) -> AsyncGenerator[R, None]:
        raise NotImplementedError  # AssetClient's: carries out a walk's actions

    def _walk_iterator(
        self, endpoint: str, stats: WalkStats, records: AsyncGenerator[R, None]
    ) -> WalkIterator[R]:
        raise NotImplementedError  # AssetClient's: the walk with its stats and done hook

    def _walk_endpoint(
        self,
        endpoint: Endpoint[Q, R, P],
        query: Q,
        page_size: int | None,
        *,
        resume: Resume | None = None,
    ) -> WalkIterator[R]:
        """Every record of ``query`` once, in the server's order: the generic `Walk`
        (ordered and guarded as ``endpoint.order`` says), carried out by `_drive`.

        Records that arrive *before* the walk's position while it runs (the top of a
        newest-first list) are not fetched by this walk: it finishes with every record
        that was listed throughout, logs how many arrived, and counts them in
        ``stats.arrived_during_walk``.  (A frozen window, as `_invitee_query` makes, keeps
        new registrations out of it altogether.)
        """
        walk: Walk[R] = Walk(
            endpoint.order,
            page_size or endpoint.limits.default,
            window=self.max_concurrency,
            fallback_size=None if page_size is not None else endpoint.limits.fallback,
            resume=resume,
            # Newest-first lists gain records at the top while a walk runs: expected, so
            # counted and reported; in an ascending list such arrivals mean lost records.
            fail_on_arrivals=not endpoint.order.descending,
        )

        stats = WalkStats()

        def fetch(page_no: int, size: int, ticket: Ticket) -> Coroutine[Any, Any, P]:
            return self._fetch_page(endpoint, query, page_no, size, ticket, stats)

        records = self._drive(
            walk, fetch, self._limiter_of(endpoint), stats, endpoint=endpoint.name
        )
        return self._walk_iterator(
            endpoint.name, stats, self._report_arrivals(endpoint.name, walk, records, stats)
        )

    async def _report_arrivals(
        self, name: str, walk: Walk[R], records: AsyncGenerator[R, None], stats: WalkStats
    ) -> AsyncGenerator[R, None]:
        try:
            async for record in records:
                yield record
        finally:
            await records.aclose()
        if walk.arrived_behind:
            self.stats.arrived_during_walk += walk.arrived_behind
            stats.arrived_during_walk += walk.arrived_behind
            logger.warning(
                "%s: %d record(s) were added before the walk's position while it ran; "
                "they are not in this walk (walk again to get them)",
                name,
                walk.arrived_behind,
            )
