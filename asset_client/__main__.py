"""``python -m asset_client``: the same as the ``asset-client`` command."""

from ._cli import main

raise SystemExit(main())
