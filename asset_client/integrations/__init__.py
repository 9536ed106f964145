"""Faces of the library for other tools (optional extras only): `asset_client.integrations.dlt`.

Sharp edge: nothing in the package imports these; each needs its extra installed.
"""
