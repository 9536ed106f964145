"""The dashboard's chart worker: ``python -m asset_client.dashboard.worker`` imports and
warms up the charting libraries at once, then reads pickled (part, `Dashboard`) pairs on
stdin and writes each one's pickled charts (`charts_of`) to stdout, until stdin closes
(started by `draw.Drawer`).

The sharp edge: pickle, so it only ever reads from the process that started it, through
a pipe.  Not imported by the package (``-m`` would then run a second copy of it).
"""

from __future__ import annotations

import pickle
import sys

__all__ = ["main"]


def _warm_up() -> None:
    """Import the charting libraries and start vl-convert's engine (seconds, once)."""
    import vl_convert

    from asset_client.dashboard import charts  # noqa: F401 - imports altair

    vl_convert.vegalite_to_svg(vl_spec={"mark": "point", "data": {"values": []}})


def main() -> int:
    from asset_client.dashboard.render import charts_of

    _warm_up()
    while True:
        try:
            part, dashboard = pickle.load(sys.stdin.buffer)  # noqa: S301 - our parent's
        except EOFError:
            return 0
        pickle.dump(charts_of(dashboard, part), sys.stdout.buffer)
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    sys.exit(main())
