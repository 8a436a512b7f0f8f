"""Webhooks as the settings name them, and the JSON a message is posted as. Where they point
and their tokens are the adapter's business (`tui.adapters.webhooks`): never journaled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.domain.comms import Draft

WEBHOOK_FORMATS = ("slack", "json")


@dataclass(frozen=True)
class WebhookSetting:
    """A webhook as the settings file names it; the URL and token may come from the
    environment instead (ROLLBACK_WEBHOOK_<NAME>_URL / _TOKEN)."""

    name: str
    url: str | None = None
    format: str = "slack"
    token_env: str | None = None
    timeout: str | None = None


def payload(format: str, draft: Draft, incident_id: str, sent_by: str) -> dict[str, Any]:
    """The JSON body: Slack-compatible `{"text": …}`, or the message with what it is about."""
    if format == "slack":
        return {"text": draft.text}
    return {"template": draft.template, "incident": incident_id, "number": draft.number,
            "subject": draft.subject, "text": draft.text, "sent_by": sent_by}
