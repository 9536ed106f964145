"""``python -m asset_client.sandbox``: the same as ``asset-client sandbox``; Ctrl-C exits 130."""

import asyncio

from asset_client.sandbox._cli import build_parser, run_sandbox_command


def main() -> int:
    args = build_parser().parse_args()
    try:
        return asyncio.run(run_sandbox_command(args))
    except KeyboardInterrupt:
        return 130


raise SystemExit(main())
