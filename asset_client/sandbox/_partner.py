"""The sandbox's invitee list and trading volume: one population, two endpoints (pure).

The invitees are the assets endpoint's ``usdt`` population (so all three endpoints describe
the same people) plus anyone a test registers while the sandbox runs.  An invitee's
registration time is the assets population's (a fixed epoch: the same on every run, never
after the first deposit); its referral code and sparse daily volumes are derived from the
seed and its uid (and its funnel profile: only traders and whales trade, never before their
registration or first deposit), so they survive growth and shrinkage unchanged.  Each
simulated day (``days``) adds trading to the last day for some traders, so volumes rise.
``special_uids()`` names, deterministically, the uids a test needs (see ``SpecialUids``).

Sharp edges, and the choices made where CoinW's docs are silent:
  * times have no zone: the list window is compared with registration times as written;
  * "then by id" is read as uid ascending, for both endpoints;
  * the list's default window is the current month of ``now()`` (injectable), and the
    volume's is ``today - 30 days .. today`` (both ends inclusive);
  * registered invitees are not added to the assets endpoint (their assets would be zeros);
  * volumes exist only within the 90 days up to the day the sandbox started, on days at or
    after the registration and first-deposit days;
  * a registration after the sandbox's start (a test's "now" inside the seeded span) is
    mirrored to before it, so the list never shows a future registration.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final, TypeVar

import attrs

from asset_client.sandbox._data import SandboxData
from asset_client.sandbox._population import (
    DEPOSITOR,
    NEVER,
    TRADER,
    UNIT,
    WHALE,
    Invitee,
    is_quiet,
)
from asset_client.sandbox._special import NOT_AN_INVITEE, SpecialUids, special_volumes
from asset_client.sandbox._times import ORIGIN, TIME_FORMAT, parse_datetime

__all__ = [
    "DEFAULT_PARTNER_PAGE_SIZE",
    "NOT_AN_INVITEE",
    "REFERRAL_CODES",
    "BadPartnerParameter",
    "InviteeListQuery",
    "PartnerData",
    "PartnerInvitee",
    "SpecialUids",
    "VolumeQuery",
    "parse_invitee_params",
    "parse_volume_body",
]

T = TypeVar("T")

DEFAULT_PARTNER_PAGE_SIZE: Final = 100
REFERRAL_CODES: Final = ("CWALPHA1", "CWBETA22", "CWGAMMA3", "VIP2024")
VOLUME_SPAN_DAYS: Final = 90
_DAY_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INT_RE: Final = re.compile(r"[0-9]{1,19}")
_JAVA_INT_MAX: Final = 2**31 - 1
_JAVA_LONG_MAX: Final = 2**63 - 1
_LIST_PARAMS: Final = frozenset(
    {"startTime", "endTime", "pageNo", "pageSize", "uid", "referralCode"}
)
_VOLUME_PARAMS: Final = frozenset({"startTime", "endTime", "pageNo", "pageSize", "uid"})


class BadPartnerParameter(ValueError):
    """A parameter the server rejects with code 1."""

    def __init__(self, name: str, value: object) -> None:
        super().__init__(f"invalid parameter: {name}={value}")
        self.name = name
        self.value = value


@attrs.frozen
class PartnerInvitee:
    """One invitee as the partner endpoints see them; volumes are (day, units of 1e-8)."""

    uid: int
    register_time: datetime
    referral_code: str
    volumes: tuple[tuple[date, int], ...] = ()


@attrs.frozen(kw_only=True)
class InviteeListQuery:
    page_no: int
    page_size: int
    start: datetime
    end: datetime
    uid: int | None = None
    referral_code: str | None = None


@attrs.frozen(kw_only=True)
class VolumeQuery:
    page_no: int
    page_size: int
    start: date
    end: date
    uid: int | None = None


def _money(units: int) -> str:
    return f"{Decimal(units).scaleb(-8):.8f}"


def _month_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(seconds=1)


def _integer(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, str) and _INT_RE.fullmatch(value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise BadPartnerParameter(name, value)
    if not lo <= number <= hi:
        raise BadPartnerParameter(name, value)
    return number


def _time(name: str, value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        raise BadPartnerParameter(name, value)
    return moment


def _day(name: str, value: object) -> date:
    if isinstance(value, str) and _DAY_RE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise BadPartnerParameter(name, value)


def _unique(items: Iterable[tuple[str, object]], known: frozenset[str]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for name, value in items:
        if name not in known:
            continue  # unknown names are ignored, as for assets
        if name in seen:
            raise BadPartnerParameter(name, value)
        seen[name] = value
    return seen


def parse_invitee_params(
    params: Sequence[tuple[str, str]], *, now: datetime, max_page_size: int = 1000
) -> InviteeListQuery:
    """Validate decoded list params like the server; raise on the first bad one."""
    seen = _unique(params, _LIST_PARAMS)
    start, end = _month_bounds(now)
    page_no, page_size = 1, DEFAULT_PARTNER_PAGE_SIZE
    uid: int | None = None
    code: str | None = None
    for name, value in seen.items():
        text = str(value)
        if name == "pageNo":
            page_no = _integer(name, text, 1, _JAVA_INT_MAX)
        elif name == "pageSize":
            page_size = _integer(name, text, 1, max_page_size)
        elif name == "uid":
            uid = _integer(name, text, 1, _JAVA_LONG_MAX)
        elif name == "referralCode":
            if not text or not text.isprintable():
                raise BadPartnerParameter(name, text)
            code = text
        elif name == "startTime":
            start = _time(name, text)
        else:
            end = _time(name, text)
    if start > end:
        raise BadPartnerParameter("startTime", seen.get("startTime", start))
    return InviteeListQuery(
        page_no=page_no, page_size=page_size, start=start, end=end, uid=uid, referral_code=code
    )


def parse_volume_body(body: bytes, *, today: date, max_page_size: int = 1000) -> VolumeQuery:
    """Validate a POST body like the server: a JSON object of known, well-typed fields."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadPartnerParameter("body", body[:100].decode("utf-8", "replace")) from None
    if not isinstance(payload, dict):
        raise BadPartnerParameter("body", payload)
    seen = _unique(payload.items(), _VOLUME_PARAMS)
    start, end = today - timedelta(days=30), today
    page_no, page_size = 1, DEFAULT_PARTNER_PAGE_SIZE
    uid: int | None = None
    for name, value in seen.items():
        if name == "pageNo":
            page_no = _integer(name, value, 1, _JAVA_INT_MAX)
        elif name == "pageSize":
            page_size = _integer(name, value, 1, max_page_size)
        elif name == "uid":
            uid = _integer(name, value, 1, _JAVA_LONG_MAX)
        elif name == "startTime":
            start = _day(name, value)
        else:
            end = _day(name, value)
    if start > end:
        raise BadPartnerParameter("startTime", seen.get("startTime", start))
    return VolumeQuery(page_no=page_no, page_size=page_size, start=start, end=end, uid=uid)


def _day_of(inv: Invitee, until: datetime) -> tuple[datetime, date | None]:
    """(registration, first-deposit day) of an assets invitee; a registration after
    ``until`` is mirrored to before it (still before the first deposit)."""
    registered = ORIGIN + timedelta(seconds=inv.registered)
    if registered > until:
        registered = until - (registered - until)
    first = (ORIGIN + timedelta(seconds=inv.events[0][0])).date() if inv.events else None
    return registered, first


def _derive(seed: int, inv: Invitee, until: datetime, last_day: date, days: int) -> PartnerInvitee:
    """Registration, code and volumes of one base invitee, from the seed, the uid and its
    funnel profile; ``days`` simulated days each add some trading on ``last_day``."""
    rng = random.Random(f"coinw-sandbox:{seed}:partner:{inv.uid}")  # noqa: S311 - synthetic data
    registered, first_deposit = _day_of(inv, until)
    code = REFERRAL_CODES[int(rng.random() * len(REFERRAL_CODES))]
    trades = inv.profile in (TRADER, WHALE) and first_deposit is not None
    if not trades or first_deposit is None:
        return PartnerInvitee(inv.uid, registered, code)
    whale = inv.profile == WHALE
    scale = 50 if whale else 1
    volumes: dict[date, int] = {}
    first = max(registered.date(), first_deposit, last_day - timedelta(days=VOLUME_SPAN_DAYS - 1))
    days_open = (last_day - first).days + 1
    if days_open > 0:
        picks = 1 + int(rng.random() * (40 if whale else 8))
        for offset in sorted({int(rng.random() * days_open) for _ in range(picks)}):
            volumes[first + timedelta(days=offset)] = int(
                (1 + rng.random() * 49_999) * scale * UNIT
            )
        # Each simulated day, some traders trade more today: their recent volume rises.
        for _day in range(days):
            if rng.random() < (0.6 if whale else 0.3):
                units = int((1 + rng.random() * 19_999) * scale * UNIT)
                volumes[last_day] = volumes.get(last_day, 0) + units
    return PartnerInvitee(inv.uid, registered, code, tuple(sorted(volumes.items())))


class PartnerData:
    """The partner endpoints' view of the population (lazy, cached, deterministic)."""

    def __init__(self, seed: int, base: SandboxData, now: Callable[[], datetime]) -> None:
        self._seed = seed
        self._base = base
        self.now = now
        started = now()
        self._until = started  # base registrations all lie before the sandbox's start
        self.today = started.date()  # volumes exist up to here
        self._derived: dict[int, PartnerInvitee] = {}
        self._special: SpecialUids | None = None
        self._registered: list[PartnerInvitee] = []
        self._version: tuple[int, ...] = ()
        self._by_registration: list[PartnerInvitee] = []
        self._volumes: list[tuple[date, int, int]] = []

    def register(
        self, count: int = 1, *, at: datetime | None = None, referral_code: str | None = None
    ) -> list[int]:
        """Register ``count`` new invitees now (or ``at``), uids above every known one.

        They show in the list (and its ``total``) from the next request on; they have no
        volume yet and are not on the assets endpoint.
        """
        moment = (at or self.now()).replace(microsecond=0)
        known = [inv.uid for inv in self._all()]
        next_uid = max(known, default=10_000_000) + 1
        uids = list(range(next_uid, next_uid + count))
        code = referral_code or REFERRAL_CODES[0]
        self._registered.extend(PartnerInvitee(uid, moment, code) for uid in uids)
        return uids

    def _all(self) -> list[PartnerInvitee]:
        population = self._base.population("usdt")
        uids = population.uids()
        version = (
            len(uids),
            uids[0] if uids else 0,
            uids[-1] if uids else 0,
            len(self._registered),
        )
        if version != self._version:
            days = self._base.days
            for inv in population.matching(None):
                if inv.uid not in self._derived:
                    self._derived[inv.uid] = _derive(self._seed, inv, self._until, self.today, days)
            self._pin_special(population.matching(None))
            everyone = [self._derived[uid] for uid in uids] + self._registered
            # Two stable sorts: uid ascending within registration time descending.
            everyone.sort(key=lambda inv: inv.uid)
            everyone.sort(key=lambda inv: inv.register_time, reverse=True)
            self._by_registration = everyone
            self._volumes = sorted(
                ((day, inv.uid, units) for inv in everyone for day, units in inv.volumes),
                key=lambda v: (-v[0].toordinal(), v[1]),
            )
            self._version = version
        return self._by_registration

    def _pin_special(self, population: Sequence[Invitee]) -> None:
        """Choose the special uids once and give the two volume ones their documented
        volumes: the first fitting quiet invitees (no simulated-day activity) from an
        anchor uid a quarter up the base population (the oldest leave day by day), so the
        same uids keep the same story on every day of a seed and size."""
        if self._special is not None:
            return
        cutoff = datetime.combine(self.today - timedelta(days=45), datetime.min.time())
        chosen: dict[str, int] = {}
        traders: list[int] = []
        anchor = 10_100_000 + 250 * self._base.invitees  # uids step ~1000 from ~10,050,000
        quiet = [inv for inv in population if is_quiet(self._seed, inv.uid)]
        ordered = [inv for inv in quiet if inv.uid >= anchor]
        ordered += [inv for inv in quiet if inv.uid < anchor]
        for inv in ordered:
            registered, first = _day_of(inv, self._until)
            if inv.profile == NEVER and not inv.events:
                chosen.setdefault("never_deposited", inv.uid)
            elif inv.profile == DEPOSITOR and inv.events:
                chosen.setdefault("no_volume", inv.uid)
            elif (
                inv.profile == TRADER
                and first is not None
                and registered < cutoff
                and first < cutoff.date()
                and len(traders) < 2
            ):
                traders.append(inv.uid)
            if len(chosen) == 2 and len(traders) == 2:
                break
        else:
            return  # too few invitees for every story: special_uids() says so
        volumes = special_volumes(self.today)
        for name, uid in zip(("volume_outside_window", "window_boundary"), traders, strict=True):
            chosen[name] = uid
            self._derived[uid] = attrs.evolve(self._derived[uid], volumes=volumes[name])
        self._special = SpecialUids(today=self.today, not_invitee=NOT_AN_INVITEE, **chosen)

    def special_uids(self) -> SpecialUids:
        """The uids with a documented story, chosen deterministically for the sandbox's
        seed, size and days (and kept while it runs, unless a fault removes them)."""
        self._all()
        if self._special is None:
            raise LookupError("the population is too small to hold every special uid")
        return self._special

    def invitees(
        self,
        *,
        start: datetime,
        end: datetime,
        uid: int | None = None,
        referral_code: str | None = None,
    ) -> list[PartnerInvitee]:
        """Matching invitees, newest registration first, then uid ascending."""
        return [
            inv
            for inv in self._all()
            if start <= inv.register_time <= end
            and (uid is None or inv.uid == uid)
            and (referral_code is None or inv.referral_code == referral_code)
        ]

    def volumes(
        self, *, start: date, end: date, uid: int | None = None
    ) -> list[tuple[date, int, int]]:
        """Matching ``(day, uid, units)``, newest day first, then uid ascending."""
        self._all()
        return [v for v in self._volumes if start <= v[0] <= end and (uid is None or v[1] == uid)]

    def list_page(self, query: InviteeListQuery) -> dict[str, object]:
        selected = self.invitees(
            start=query.start, end=query.end, uid=query.uid, referral_code=query.referral_code
        )
        return _page(selected, query.page_no, query.page_size, invitee_record)

    def volume_page(self, query: VolumeQuery) -> dict[str, object]:
        selected = self.volumes(start=query.start, end=query.end, uid=query.uid)
        return _page(selected, query.page_no, query.page_size, volume_record)

    def by_uid(self) -> Mapping[int, PartnerInvitee]:
        return {inv.uid: inv for inv in self._all()}


def _page(
    selected: Sequence[T], page_no: int, page_size: int, record: Callable[[T], dict[str, object]]
) -> dict[str, object]:
    """The ``data`` of one page: the total, and the page's slice as wire records."""
    offset = (page_no - 1) * page_size
    return {
        "total": len(selected),
        "list": [record(x) for x in selected[offset : offset + page_size]],
    }


def invitee_record(inv: PartnerInvitee) -> dict[str, object]:
    return {"uid": inv.uid, "registerTime": inv.register_time.strftime(TIME_FORMAT)}


def volume_record(volume: tuple[date, int, int]) -> dict[str, object]:
    day, uid, units = volume
    return {"uid": uid, "volume": _money(units), "time": day.isoformat()}
