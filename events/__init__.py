"""Events scored as they happen: signed webhooks (``POST /events/{source}``) validated like the
loader and appended to raw, a durable queue in the warehouse, and a worker that pushes the
entity's streaming features to Feast's online store, scores it with the champion, runs the alert
rules and delivers through the notifier's delivery log (docs/events.md)."""
