"""Marketing automations: rules (seed automation_rules) evaluated against the marts after the
alerts, each matching customer handed to an action - a message through the notifier, a segment
update, or a signed webhook to a marketing tool - every execution logged in
ops.automation_runs, at most once per rule and customer in 24 hours.

``run_automations(settings)`` is what ``ciw automations run`` and the Dagster asset
``alerts/automations`` call. Importing the package is cheap.
"""
