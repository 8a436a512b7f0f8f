"""The seed's messages by id: the rollback announcement (§4.1), status update #N (§5.1), the
status page's initial, progress and resolution posts (§5.2), the stakeholder notification
(§5.3). Kept apart from the filling (`tui.domain.comms`) so `rollback --help` lists the ids
without loading the incident model."""

from __future__ import annotations

from dataclasses import dataclass

from tui.domain.safe_text import plain

STATUS_UPDATE = "status-update"
ANNOUNCEMENT = "announcement"
STATUS_PAGE_INITIAL = "status-page-initial"
STATUS_PAGE_PROGRESS = "status-page-progress"
STATUS_PAGE_RESOLUTION = "status-page-resolution"
STAKEHOLDER = "stakeholder-notification"


@dataclass(frozen=True)
class Template:
    """One of the seed's messages: its id, its name, who reads it, where the seed has it."""

    id: str
    name: str
    audience: str
    seed: str


TEMPLATES = (
    Template(STATUS_UPDATE, "Status update", "team", "§5.1"),
    Template(ANNOUNCEMENT, "Rollback announcement", "team", "§4.1"),
    Template(STATUS_PAGE_INITIAL, "Status page: initial post", "status page", "§5.2"),
    Template(STATUS_PAGE_PROGRESS, "Status page: progress update", "status page", "§5.2"),
    Template(STATUS_PAGE_RESOLUTION, "Status page: resolution", "status page", "§5.2"),
    Template(STAKEHOLDER, "Stakeholder notification", "stakeholders", "§5.3"),
)
TEMPLATE_IDS = tuple(t.id for t in TEMPLATES)


class UnknownTemplate(ValueError):
    """A template id that is not one of TEMPLATE_IDS; the message lists them."""


def template(template_id: str) -> Template:
    """The template with that id (UnknownTemplate naming the known ones)."""
    found = next((t for t in TEMPLATES if t.id == template_id), None)
    if found is None:
        raise UnknownTemplate(f"no message template {plain(template_id, 80)!r} (templates: "
                              f"{', '.join(TEMPLATE_IDS)})")
    return found
