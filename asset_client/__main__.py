"""``python -m asset_client``: the same as the ``asset-client`` command."""

from asset_client.cli.main import main

raise SystemExit(main())
