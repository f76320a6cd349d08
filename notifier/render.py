"""The Slack message of an alert, rendered for the other channels: an HTML body for email and
an Adaptive Card for Microsoft Teams. One message, one content: both are read off the Block Kit
blocks that ``notifier.messages`` builds, so every channel says the same thing.

Only the text blocks carry over (header, section, context, divider); Slack's buttons and menus
need Slack, so email and Teams say how to act instead (the footer with ``ciw feedback`` and
``ciw alerts``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_CODE = re.compile(r"`([^`\n]+)`")
_MENTION = re.compile(r"&lt;@([A-Z0-9]+)&gt;|<@([A-Z0-9]+)>")

ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_VERSION = "1.4"


def _mention(match: re.Match[str]) -> str:
    return "@" + (match.group(1) or match.group(2))


def block_texts(blocks: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    """(kind, Slack mrkdwn) of each text block: kind is header, section, context or divider."""
    texts: list[tuple[str, str]] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("header", "section"):
            texts.append((str(kind), str((block.get("text") or {}).get("text") or "")))
        elif kind == "context":
            parts = [str(element.get("text") or "") for element in block.get("elements", [])]
            texts.append(("context", " ".join(parts)))
        elif kind == "divider":
            texts.append(("divider", ""))
    return texts


def mrkdwn_to_html(text: str) -> str:
    """Slack mrkdwn (whose &, <, > are already entities) as an HTML fragment."""
    safe = html.escape(html.unescape(text), quote=False)
    safe = _MENTION.sub(_mention, safe)
    safe = _CODE.sub(r"<code>\1</code>", safe)
    safe = _BOLD.sub(r"<strong>\1</strong>", safe)
    safe = _ITALIC.sub(r"<em>\1</em>", safe)
    return safe.replace("\n", "<br>\n")


def mrkdwn_to_teams(text: str) -> str:
    """Slack mrkdwn as the Markdown subset an Adaptive Card TextBlock shows."""
    plain = _MENTION.sub(_mention, text)
    plain = _BOLD.sub(r"**\1**", plain)
    return html.unescape(plain).replace("\n", "\n\n")


def html_body(blocks: Sequence[dict[str, Any]], footer: str, images: Sequence[str] = ()) -> str:
    """A complete HTML email: the blocks, ``images`` (content ids) inline, then the footer."""
    parts = []
    for kind, text in block_texts(blocks):
        if kind == "header":
            parts.append(f"<h2>{mrkdwn_to_html(text)}</h2>")
        elif kind == "section":
            parts.append(f"<p>{mrkdwn_to_html(text)}</p>")
        elif kind == "context":
            parts.append(f'<p style="color:#616161;font-size:12px">{mrkdwn_to_html(text)}</p>')
        else:
            parts.append("<hr>")
    for content_id in images:
        parts.append(f'<p><img src="cid:{content_id}" alt="{content_id}" width="600"></p>')
    parts.append(f'<hr><p style="color:#616161;font-size:11px">{mrkdwn_to_html(footer)}</p>')
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html><body style="font-family:Arial,sans-serif;max-width:680px">\n'
        f"{body}\n</body></html>\n"
    )


def adaptive_card(blocks: Sequence[dict[str, Any]], footer: str) -> dict[str, Any]:
    """The blocks as an Adaptive Card (TextBlocks), with the footer as a subtle last line."""
    body: list[dict[str, Any]] = []
    for kind, text in block_texts(blocks):
        if kind == "divider":
            if body:
                body[-1]["separator"] = True
            continue
        element: dict[str, Any] = {"type": "TextBlock", "text": mrkdwn_to_teams(text), "wrap": True}
        if kind == "header":
            element.update(size="Large", weight="Bolder")
        elif kind == "context":
            element.update(isSubtle=True, size="Small")
        body.append(element)
    body.append(
        {"type": "TextBlock", "text": footer, "wrap": True, "isSubtle": True, "size": "Small"}
    )
    return {
        "type": "AdaptiveCard",
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
    }


def footer_text(alert_ids: Sequence[str]) -> str:
    """The internal footer: which alerts the message covers and how to act on them."""
    ids = ", ".join(alert_ids)
    return (
        f"Internal: alert ids {ids}. Rate an alert with `ciw feedback <alert id>`;"
        " move it along with `ciw alerts ack|assign|resolve|dismiss <alert id>`."
    )
