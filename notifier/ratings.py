"""The copilot design's four feedback ratings on an alert: ``ciw feedback``, the CSV import and
the Slack rating menus all take their choices from here."""

ACCURACY = ("accurate", "somewhat_accurate", "inaccurate")
RELEVANCE = ("very_relevant", "relevant", "not_relevant")
EFFECTIVENESS = ("very_effective", "effective", "not_effective")
PRIORITIES = (1, 2, 3, 4, 5)

__all__ = ["ACCURACY", "EFFECTIVENESS", "PRIORITIES", "RELEVANCE"]
