"""The ``asset-client`` command line: one module per command, over shared options.

`main` parses and dispatches; `options` declares what every command that sends requests
shares; each command module (export, report, sync, changes, history, snapshots, sandbox)
declares only its own options.  Sharp edge: no command imports another, nor `main`.
"""
