"""The Nexus reference monitoring agent (standard library only).

Run it as `python -m assets.agent --server URL --enrol-token T`: it enrols once
(the key goes to a local state file, mode 0600), then reports telemetry and runs
the jobs staff queued for it, posting each result. `--once` does one cycle.
"""
