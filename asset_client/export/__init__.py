"""Exports and the joined report of the partner API (assets, invitees, volume, any `Endpoint`).

One run for every dataset (`run`): what is asked and its frozen window (`filters`), the
dataset's part (`datasets`: rows from the record class, `rows`; its own exact sums, `sums`;
its resume point read back, `readback`), where records go (`sinks`, `files`, `outpath`),
the checkpoint (`checkpoint`, and `legacy_checkpoints` for earlier releases'), the client
(`connect`), and what the command line reports (`state`, `summary`, `console`,
`progress`).  The report joins three walks (`report`, `report_run`).

Sharp edge: everything here goes through the public client API only (``client.walk`` and
``iter_*``); nothing here compares a dataset's name: what differs is the endpoint's data.
"""
