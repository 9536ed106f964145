"""The client: the partner API's calls and walks over a signed, limited, retried request.

``client`` (`AssetClient`, the named calls) on ``base`` (`EndpointClient`, any endpoint),
``requests`` (one page: sign, send, read, retry), ``walks`` (carrying out the pure walk),
``transport`` (the only aiohttp code), ``session``, ``settings``, ``env``, ``hooks``,
``stats``, ``log``.  Sharp edge: import the public names from `asset_client`; these module
paths are the implementation's.
"""
