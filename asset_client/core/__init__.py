"""The pure core: signing, queries, decoding, answer classification, the retry decision,
the penalty memory and the walk's state machine.

Sharp edge: nothing here does I/O or reads a clock (the caller brings ``now``, ``rng``
and the answers), so every decision is tested with values alone.
"""
