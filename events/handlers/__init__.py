"""What the worker does with one accepted event, per source (one module each): streaming
features to Feast, the champion's score for the entity, timers, and the alerts the batch's
rules raise for it."""

from __future__ import annotations

from collections.abc import Callable

from events.handlers.accounts import handle_account, handle_usage
from events.handlers.cart import fire_timer, handle_cart, product_intent
from events.handlers.context import Context, ScoreOutcome
from events.handlers.opportunities import handle_opportunity
from events.handlers.orders import handle_order, prepare_orders
from events.inbox import InboxEvent
from notifier.messages import Alert

HANDLERS: dict[str, Callable[[Context, InboxEvent], list[Alert]]] = {
    "order": handle_order,
    "cart": handle_cart,
    "crm_opportunity": handle_opportunity,
    "crm_account": handle_account,
    "product_usage": handle_usage,
}

#: Look-ups done once for all of a step's events of a source, before their handlers run.
PREPARERS: dict[str, Callable[[Context, list[InboxEvent]], None]] = {
    "order": prepare_orders,
}

__all__ = ["HANDLERS", "PREPARERS", "Context", "ScoreOutcome", "fire_timer", "product_intent"]
