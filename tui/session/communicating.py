"""Communications: the seed's messages filled from the incident, saved as drafts, marked sent
by hand or posted to a webhook — each journaled (`comms.drafted`, `comms.sent`), never with a
webhook's URL or token."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tui.adapters import webhooks
from tui.adapters.comms_templates import renderer
from tui.domain import incident as ev
from tui.domain.comms import STATUS_UPDATE, Cadence, Draft, cadence, fill, next_update_number
from tui.domain.comms import template as template_info
from tui.domain.webhooks import WebhookSetting, payload
from tui.session.core import SessionCore, SessionError


class DeliveryFailed(SessionError):
    """A webhook did not take the message; the draft is journaled, the message says why."""


class CommunicatingMixin(SessionCore):
    """draft / save_draft / mark_sent / send / next_update_due / webhooks."""

    comms_templates: Path | None = None
    """The user's template folder (`<config folder>/templates`), set by the front end that
    knows the paths; None uses the built-in templates only."""

    def _message_values(self) -> dict[str, str]:
        """Parameter values a message may quote: never a secret one."""
        return {k: v for k, v in self.values.items()
                if (p := self.runbook.parameter(k)) is None or not p.secret}

    def draft(self, template: str, *, blockers: Sequence[str] = ()) -> Draft:
        """The message `template` filled from the incident now (`blockers`: what the caller
        knows beyond the journal, e.g. a stale feed)."""
        template_info(template)
        return fill(template, self.snapshot(), self.runbook, self._message_values(),
                    self.config.clock(), render=renderer(self.comms_templates),
                    extra_blockers=blockers)

    def _message(self, template: str, text: str, channel: str = "") -> dict[str, Any]:
        template_info(template)
        if not text.strip():
            raise SessionError(f"the {template} message is empty: write it (or fill it "
                               "again) first")
        data: dict[str, Any] = {"template": template}
        if template == STATUS_UPDATE:
            data["number"] = next_update_number(self.state)
        if channel.strip():
            data["channel"] = channel.strip()
        data["text"] = text
        return data

    def save_draft(self, template: str, text: str, *, channel: str = "") -> None:
        """Keep the draft in the journal (it is offered again until it is sent)."""
        self.record(ev.COMMS_DRAFTED, self._message(template, text, channel))

    def mark_sent(self, template: str, text: str, channel: str, via: str = "manual"
                  ) -> int | None:
        """Journal that the message went out (posted by hand: `via="manual"`); returns its
        number for a status update — which restarts the update clock."""
        if not channel.strip():
            raise SessionError("say where the message was posted (the channel)")
        data = self._message(template, text, channel)
        data["via"] = via
        self.record(ev.COMMS_SENT, data)
        return data.get("number")

    def send(self, template: str, text: str, webhook: WebhookSetting, *, channel: str = ""
             ) -> webhooks.Delivery:
        """POST the message to a webhook (blocking: retries, timeout), then journal it as
        sent (to `channel`, else the webhook's name); on failure journal it as drafted with a
        warning and raise DeliveryFailed."""
        data = self._message(template, text, channel or webhook.name)
        if self.read_only:
            raise SessionError(f"incident {self.incident_id} is open read-only here "
                               "(followed): the session that holds it sends messages")
        try:
            target = webhooks.resolve(webhook, self.config.environ)
        except webhooks.WebhookError as exc:
            raise SessionError(str(exc)) from None
        draft = replace(self.draft(template), text=text)
        body = payload(target.format, draft, self.incident_id, self.config.actor_name())
        delivery = webhooks.post(target, body)
        if not delivery.ok:
            self.record(ev.COMMS_DRAFTED, data)
            self.record(ev.WARNING_RAISED, {"message": delivery.message})
            raise DeliveryFailed(delivery.message)
        self.record(ev.COMMS_SENT, {**data, "via": "webhook",
                                    "webhook": delivery.journal(target.format)})
        return delivery

    def next_update_due(self) -> Cadence:
        """When the next status update is due (from the last one sent, else the decision,
        else the opening)."""
        return cadence(self.state, self.runbook)

    def webhooks(self, configured: Sequence[WebhookSetting] = ()) -> list[WebhookSetting]:
        """The webhooks messages can go to: those configured, then any named only in the
        environment (ROLLBACK_WEBHOOK_<NAME>_URL)."""
        return webhooks.available(configured, self.config.environ)
