"""Watching the champions after they are crowned, and deciding when to retrain them.

- ``drift``: Evidently drift of a champion's features and score against its training snapshot;
  ``drift_results`` runs the check on the latest scored frame and stores it in
  ``ml.drift_results`` with an HTML report.
- ``performance``: the champion's metric on matured labels against its value at training,
  stored in ``ml.model_performance``.
- ``feedback``: CSM feedback on alerts (``ops.alert_feedback``) per alert type.
- ``retraining``: the signals (drift, a performance drop, enough new feedback) and the plan
  that turns them into at most one retraining per model and cause per cool-down.
- ``settings``: tolerances and triggers from the environment; ``champion``: what a check reads
  of the registry.

The Dagster checks and the retraining sensor only read tables and call these functions.
"""
