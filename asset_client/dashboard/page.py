"""The dashboard as one self-contained HTML page: tiles, charts (inline SVG) and tables.

Pure: a `Dashboard` and its rendered charts in, text out.  Nothing external: no script,
no stylesheet, font or image by URL; it opens from ``file://`` and as an e-mail
attachment, on a phone and in dark mode (``prefers-color-scheme``).  The sharp edge:
every number goes through `fmt` (a ``<data>`` element with its exact value), so a test
can check every number on the page; a number written any other way would go unchecked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from asset_client.core.kpis import Cohort
from asset_client.dashboard.aggregate import Dashboard
from asset_client.dashboard.fmt import amount, count, duration, esc, moment, num, percent

__all__ = ["Chart", "render_page"]

#: (id, title, inline svg or None when there is nothing to draw, data table html)
Chart = tuple[str, str, str | None, str]

_CSS = """
:root{color-scheme:light dark;--bg:#f7f8fa;--card:#fff;--fg:#1c2230;--muted:#5d6675;
--line:#dde1e7;--accent:59,130,246}
@media (prefers-color-scheme:dark){:root{--bg:#0f1319;--card:#171c24;--fg:#e6e9ee;
--muted:#9aa3b2;--line:#2a313c}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.1rem;margin:0 0 .6em}
.meta{color:var(--muted);margin:0 0 1em}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px}
.tile,section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px}
.tile .label{color:var(--muted);font-size:.8rem}.tile .value{font-size:1.25rem;font-weight:600}
section{margin-top:14px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:14px;
margin-top:14px}
.grid2 section{margin-top:0}
svg{width:100%;height:auto;display:block}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.85rem;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
details{margin-top:8px;color:var(--muted)}summary{cursor:pointer}
.empty{color:var(--muted)}
.heat{display:block;padding:2px 6px;border-radius:4px}
"""


def table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    header = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><tr>{header}</tr>{body}</table></div>'


def _tile(label: str, value_html: str) -> str:
    return (
        f'<div class="tile"><div class="label">{esc(label)}</div>'
        f'<div class="value">{value_html}</div></div>'
    )


def _tiles(d: Dashboard) -> str:
    k, u = d.kpis, d.unit
    days = f"{k.volume_days}-day" if k.volume_days else "window"
    tiles = [
        _tile("Invitees", count("invitees", k.invitees)),
        _tile("Deposited", percent("deposited_share", k.deposited_share)),
        _tile(f"Traded ({days})", percent("traded_share", k.traded_share)),
        _tile("Total deposits", amount("total_deposit", k.total_deposit, u)),
        _tile("Net deposits", amount("net_deposit", k.net_deposit, u)),
        _tile("Current balances", amount("current_balance", k.current_balance, u)),
        _tile(f"Volume ({days})", amount("volume", k.volume, u)),
        _tile("Median time to 1st deposit", duration("ttfd_median", k.ttfd_median_seconds)),
        _tile("P90 time to 1st deposit", duration("ttfd_p90", k.ttfd_p90_seconds)),
    ]
    return f'<div class="tiles">{"".join(tiles)}</div>'


def _heat(share_value: Decimal, cell: str) -> str:
    # Opacity by share: the same blue reads as a heat scale on a dark and a light page.
    alpha = (share_value * Decimal("0.8") + Decimal("0.05")).quantize(Decimal("0.01"))
    return f'<span class="heat" style="background:rgba(var(--accent),{alpha})">{cell}</span>'


def _cohort_row(c: Cohort, unit: str) -> list[str]:
    p = f"cohort.{c.month}"
    return [
        f'<time datetime="{c.month}">{c.month}</time>',
        count(f"{p}.invitees", c.invitees),
        _heat(c.deposited_share, percent(f"{p}.deposited_share", c.deposited_share)),
        _heat(c.traded_share, percent(f"{p}.traded_share", c.traded_share)),
        amount(f"{p}.deposits", c.deposits, unit),
    ]


#: Cohorts shown open (newest first); older months fold into a <details>.
RECENT_COHORTS = 24


def _cohorts(d: Dashboard) -> str:
    rows = [_cohort_row(c, d.unit) for c in reversed(d.kpis.cohorts)]
    head = ["Registered", "Invitees", "Deposited", "Traded", "Deposits"]
    if not rows:
        body = '<p class="empty">No registrations in the history.</p>'
    else:
        body = table(head, rows[:RECENT_COHORTS])
        if rows[RECENT_COHORTS:]:
            older = table(head, rows[RECENT_COHORTS:])
            body += f"<details><summary>Older cohorts</summary>{older}</details>"
    return f'<section id="cohorts"><h2>Monthly cohorts (newest first)</h2>{body}</section>'


def _top(d: Dashboard, key: str, title: str, pairs: Sequence[tuple[int, Decimal]]) -> str:
    rows = [
        [
            num(f"{key}.{i}.rank", i, str(i)),
            num(f"{key}.{i}.uid", uid, str(uid)),
            amount(f"{key}.{i}.amount", value, d.unit),
        ]
        for i, (uid, value) in enumerate(pairs, start=1)
    ]
    body = table(["#", "uid", "Amount"], rows) if rows else '<p class="empty">None yet.</p>'
    return f'<section id="{key}"><h2>{esc(title)}</h2>{body}</section>'


def _chart(chart: Chart) -> str:
    ident, title, svg, table = chart
    drawing = svg if svg is not None else '<p class="empty">Nothing to draw yet.</p>'
    return (
        f'<section id="{ident}" class="chart"><h2>{esc(title)}</h2>{drawing}'
        f"<details><summary>Data</summary>{table}</details></section>"
    )


def render_page(d: Dashboard, charts: Sequence[Chart], *, generated: datetime) -> str:
    """The whole page (``charts`` in order: funnel first, then the rest in pairs)."""
    as_of = "no snapshot" if d.as_of is None else moment(d.as_of, d.zone_name)
    meta = (
        f"{esc(d.source)} · amounts in {esc(d.unit)} · times in {esc(d.zone_name)} · "
        f"data as of {as_of} · made {moment(generated, d.zone_name)}"
    )
    pairs = "".join(_chart(c) for c in charts[1:])
    tops = _top(d, "top_volume", "Top 20 invitees by volume", d.top_volume) + _top(
        d, "top_deposit", "Top 20 invitees by deposits", d.top_deposit
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Affiliate dashboard · {esc(d.unit)}</title><style>{_CSS}</style></head>"
        f'<body><main><h1>Affiliate dashboard</h1><p class="meta">{meta}</p>{_tiles(d)}'
        f"{_chart(charts[0]) if charts else ''}{_cohorts(d)}"
        f'<div class="grid2">{pairs}</div><div class="grid2">{tops}</div>'
        "</main></body></html>"
    )
