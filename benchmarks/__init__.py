"""Benchmarks for asset_client: walk time vs ideal, rejections, page size, decode cost,
memory and time to first record, against the local sandbox over loopback.

Run everything with ``python -m benchmarks`` (``--quick`` for a smoke run); see README.md.
"""
