"""The post-incident record of the seed's sections 6–9: the incident report's written parts,
five whys, fishbone categories, lessons learned, action items with owners and due dates,
prevention measures and the re-release criteria — and the deadlines (report within 24 hours,
postmortem within 48).

Journaled as `postmortem.updated` events, one section at a time, `{"section": S, "value": V}`;
the latest value of each section wins (`IncidentState.postmortem`). This module says what each
section holds, checks values, and derives what is due.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

REPORT_WITHIN = timedelta(hours=24)
POSTMORTEM_WITHIN = timedelta(hours=48)

TEXT_SECTIONS = {
    "issue_description": "Detailed description of what went wrong",
    "root_cause": "Technical root cause of the issue",
    "user_impact": "Users affected, features impacted, data impact, financial impact",
    "detection": "How was it detected? Why wasn't it caught earlier? Monitoring gaps?",
    "response": "Who responded? Was the rollback smooth? Any issues during rollback?",
    "resolution": "Rollback successful? Service restoration time? Verification completed?",
}
LIST_SECTIONS = {
    "five_whys": "Each answer to 'Why?', in order (the last is the root cause)",
    "went_well": "Lessons learned: what went well",
    "to_improve": "Lessons learned: what could be improved",
    "prevention": "How we will prevent this in the future",
}
FISHBONE_CATEGORIES = {
    "people": "Training, communication, handoffs",
    "process": "Procedures, checks, testing",
    "technology": "Tools, infrastructure, monitoring",
    "environment": "Configuration, dependencies, timing",
}
PROCESS_IMPROVEMENTS = (
    "Enhanced pre-release testing", "Additional quality gates",
    "Better monitoring and alerting", "Improved rollback procedures",
    "Enhanced documentation", "Team training", "Tool improvements",
)
RE_RELEASE_CRITERIA = (
    ("root_cause_fixed", "Root cause identified and fixed"),
    ("new_tests", "New tests added and passing"),
    ("code_review", "Code review completed"),
    ("staging_tested", "Additional testing in staging"),
    ("team_confident", "Team confidence high"),
    ("stakeholders_informed", "Stakeholders informed"),
    ("monitoring_enhanced", "Enhanced monitoring in place"),
    ("rollback_plan_updated", "Rollback plan updated"),
)
SECTIONS = (*TEXT_SECTIONS, *LIST_SECTIONS, "fishbone", "action_items", "re_release",
            "status")


class PostmortemStatus(StrEnum):
    """Whether the post-incident record is still being written."""

    DRAFT = "draft"
    COMPLETE = "complete"


@dataclass(frozen=True)
class ActionItem:
    """One action item: what, who, by when, done yet."""

    text: str
    owner: str
    due: date
    done: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON for the journal."""
        return {"text": self.text, "owner": self.owner, "due": self.due.isoformat(),
                "done": self.done}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActionItem:
        """From the journal (ValueError names what is wrong)."""
        return cls(str(data["text"]), str(data["owner"]), date.fromisoformat(str(data["due"])),
                   bool(data.get("done", False)))


class PostmortemError(ValueError):
    """A section value that does not fit the section; the message says what was expected."""


def check_section(section: str, value: Any) -> Any:
    """The value as the journal should hold it, or PostmortemError."""
    if section not in SECTIONS:
        raise PostmortemError(f"no post-incident section {section!r} (sections: "
                              f"{', '.join(SECTIONS)})")
    if section in TEXT_SECTIONS:
        if not isinstance(value, str):
            raise PostmortemError(f"{section} is text")
        return value.strip()
    if section in LIST_SECTIONS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PostmortemError(f"{section} is a list of lines")
        return [v.strip() for v in value if v.strip()]
    if section == "fishbone":
        if not isinstance(value, Mapping) or not set(value) <= set(FISHBONE_CATEGORIES):
            raise PostmortemError("fishbone maps categories (people, process, technology, "
                                  "environment) to lists of causes")
        return {k: [str(c).strip() for c in v if str(c).strip()] for k, v in value.items()}
    if section == "action_items":
        if not isinstance(value, list):
            raise PostmortemError("action_items is a list of {text, owner, due, done}")
        try:
            return [ActionItem.from_dict(item).to_dict() for item in value]
        except (KeyError, TypeError, ValueError) as exc:
            raise PostmortemError(f"an action item needs text, owner and a due date "
                                  f"(YYYY-MM-DD): {exc}") from None
    if section == "re_release":
        known = {key for key, _ in RE_RELEASE_CRITERIA}
        if not isinstance(value, Mapping) or not set(value) <= known:
            raise PostmortemError(f"re_release maps criteria ({', '.join(sorted(known))}) to "
                                  "true/false")
        return {k: bool(v) for k, v in value.items()}
    return PostmortemStatus(value).value  # status


class DueState(StrEnum):
    """Where a post-incident deadline stands."""

    NOT_YET = "not yet"  # the incident is still open: the clock has not started
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"


@dataclass(frozen=True)
class Deadline:
    """The incident report (24 h) or the postmortem (48 h) after resolution."""

    what: str
    due_at: datetime | None
    state: DueState

    def text(self, now: datetime) -> str:
        """`report due in 5h`, `postmortem OVERDUE by 3h`, `report done`."""
        if self.state is DueState.DONE:
            return f"{self.what} done"
        if self.due_at is None:
            return f"{self.what} due {int(self.within().total_seconds() // 3600)}h after " \
                   "resolution"
        left = self.due_at - now
        hours = int(abs(left.total_seconds()) // 3600)
        minutes = int(abs(left.total_seconds()) % 3600 // 60)
        span = f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"
        return f"{self.what} OVERDUE by {span}" if left.total_seconds() < 0 else \
            f"{self.what} due in {span}"

    def within(self) -> timedelta:
        """The seed's allowance."""
        return REPORT_WITHIN if self.what == "incident report" else POSTMORTEM_WITHIN


def deadlines(resolved_at: str | None, postmortem: Mapping[str, Any],
              report_item_ticked: bool, now: datetime | None = None) -> tuple[Deadline, ...]:
    """The incident report (done when the post-rollback item `incident_report` is ticked) and
    the postmortem (done when its record is marked complete), 24 and 48 hours after the
    incident was resolved."""
    now = now or datetime.now(UTC)
    resolved = datetime.fromisoformat(resolved_at) if resolved_at else None
    out = []
    for what, within, done in (
            ("incident report", REPORT_WITHIN, report_item_ticked),
            ("postmortem", POSTMORTEM_WITHIN,
             postmortem.get("status") == PostmortemStatus.COMPLETE)):
        if done:
            out.append(Deadline(what, resolved + within if resolved else None, DueState.DONE))
        elif resolved is None:
            out.append(Deadline(what, None, DueState.NOT_YET))
        else:
            due = resolved + within
            out.append(Deadline(what, due, DueState.OVERDUE if now > due else DueState.DUE))
    return tuple(out)
