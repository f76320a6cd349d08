"""Benchmarks that print figures: speed goals live here, never in timed tests.

- ``stages``: every stage of the pipeline timed on a warehouse of its own (``ciw bench``).
- ``feature_store``: Feast's training-set joins against hand-written SQL, and the online profile
  lookup's latency.
- ``alert_delivery``: notifier throughput for 1,000 alerts over 50 destinations, within Slack's
  pacing (needs the test stand-ins).
- ``report``: the figures as a table and as Markdown.
"""
