"""What the dashboard must show, computed straight from the raw rows of the history file
(plain SQL and arithmetic; none of the dashboard's or the KPI module's code)."""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

D0 = Decimal(0)
BOUNDS = [3600, 86400, 7 * 86400, 30 * 86400, 90 * 86400]


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / whole).quantize(Decimal("0.0001"), ROUND_HALF_EVEN) if whole else D0


def _rank(values: list[int], p: Decimal) -> int:
    return sorted(values)[math.ceil(len(values) * p) - 1]


def _current(db: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    # Every snapshot in the file is complete and of one series each: "current" rows are
    # exactly those of the newest snapshot.
    return db.execute(sql + " WHERE valid_to IS NULL").fetchall()


def expected_numbers(path: Path) -> dict[str, Decimal]:
    db = sqlite3.connect(path)
    assets = {
        r[0]: r
        for r in _current(
            db,
            "SELECT uid, total_deposit, total_withdrawal, current_balance, "
            "first_deposit_time FROM assets",
        )
    }
    registered = {
        r[0]: datetime.fromisoformat(str(r[1]))
        for r in _current(db, "SELECT uid, register_time FROM invitees")
    }
    volume: dict[int, Decimal] = defaultdict(Decimal)
    daily: dict[str, Decimal] = defaultdict(Decimal)
    for uid, day, v in _current(db, "SELECT uid, day, volume FROM volume"):
        volume[int(str(uid))] += Decimal(str(v))
        daily[str(day)] += Decimal(str(v))
    uids = set(assets) | set(registered) | set(volume)
    dep = {u: Decimal(str(assets[u][1])) if u in assets else D0 for u in uids}
    first = {u: datetime.fromisoformat(str(assets[u][4])) for u in assets if assets[u][4]}
    deposited = {u for u in uids if u in first or dep[u] > 0}
    traded = {u for u in uids if volume.get(u, D0) > 0}
    out: dict[str, Decimal] = {}
    n = len(uids)
    out["invitees"] = Decimal(n)
    out["funnel.registered"] = Decimal(n)
    out["funnel.deposited"] = out["deposited"] = Decimal(len(deposited))
    out["funnel.traded"] = Decimal(len(traded))
    out["deposited_share"] = _share(len(deposited), n)
    out["traded_share"] = _share(len(traded), n)
    out["total_deposit"] = sum(dep.values(), D0)
    wd = sum((Decimal(str(a[2])) for a in assets.values()), D0)
    out["net_deposit"] = out["total_deposit"] - wd
    out["current_balance"] = sum((Decimal(str(a[3])) for a in assets.values()), D0)
    out["volume"] = sum(volume.values(), D0)
    del out["deposited"]
    waits = [int((first[u] - registered[u]).total_seconds()) for u in first if u in registered]
    ok = [w for w in waits if w >= 0]
    out["ttfd_median"] = Decimal(_rank(ok, Decimal("0.5")))
    out["ttfd_p90"] = Decimal(_rank(ok, Decimal("0.9")))
    buckets = Counter(sum(1 for b in BOUNDS if w >= b) for w in ok)
    for i in range(6):
        out[f"ttfd.{i}"] = Decimal(buckets.get(i, 0))
    out["ttfd.inconsistent"] = Decimal(len(waits) - len(ok))
    months: dict[str, list[int]] = defaultdict(list)
    for u, t in registered.items():
        months[t.strftime("%Y-%m")].append(u)
    for m, members in months.items():
        p = f"cohort.{m}"
        out[f"{p}.invitees"] = Decimal(len(members))
        out[f"{p}.deposited_share"] = _share(sum(u in deposited for u in members), len(members))
        out[f"{p}.traded_share"] = _share(sum(u in traded for u in members), len(members))
        out[f"{p}.deposits"] = sum((dep[u] for u in members), D0)
    for day, total in daily.items():
        out[f"daily.{day}"] = total
    _arrivals(out, registered, first)
    _trends(out, db)
    for key, amounts in (("top_volume", volume), ("top_deposit", dep)):
        ranked = sorted(((-v, u) for u, v in amounts.items() if v > 0))[:20]
        for i, (neg, u) in enumerate(ranked, start=1):
            out[f"{key}.{i}.rank"], out[f"{key}.{i}.uid"] = Decimal(i), Decimal(u)
            out[f"{key}.{i}.amount"] = -neg
    return out


def _arrivals(
    out: dict[str, Decimal], registered: dict[int, datetime], first: dict[int, datetime]
) -> None:
    # The documented rule: by day up to two months of registrations, by ISO week up to two
    # years, else by month.
    span = (max(registered.values()) - min(registered.values())).days

    def key(t: datetime) -> str:
        if span <= 62:
            return t.strftime("%Y-%m-%d")
        if span <= 731:
            year, week, _ = t.isocalendar()
            return f"{year}-W{week:02d}"
        return t.strftime("%Y-%m")

    new = Counter(key(t) for t in registered.values())
    firsts = Counter(key(t) for t in first.values())
    for m in set(new) | set(firsts):
        out[f"arrivals.{m}.new"] = Decimal(new.get(m, 0))
        out[f"arrivals.{m}.first"] = Decimal(firsts.get(m, 0))


def _trends(out: dict[str, Decimal], db: sqlite3.Connection) -> None:
    sql = (
        "SELECT se.dataset, s.taken_at, s.records, s.sums FROM snapshots s "
        "JOIN series se ON se.id = s.series_id WHERE s.status = 'complete'"
    )
    for dataset, taken, records, sums in db.execute(sql):
        key = f"trend.{datetime.fromisoformat(taken).isoformat()}"
        if dataset == "invitees":
            out[f"{key}.invitees"] = Decimal(records)
        if dataset == "assets":
            totals = json.loads(sums)
            out[f"{key}.total_deposit"] = Decimal(totals["total_deposit"])
            out[f"{key}.current_balance"] = Decimal(totals["current_balance"])


def day_of(text: str) -> date:
    return date.fromisoformat(text)
