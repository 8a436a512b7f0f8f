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

from tui.domain.incident import IncidentState
from tui.domain.status import CheckStatus

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
TECHNICAL_IMPROVEMENTS = (
    "Add automated tests for missed scenario", "Implement canary deployment",
    "Add feature flags for high-risk features", "Improve database migration testing",
    "Enhance monitoring coverage", "Add circuit breakers", "Implement better error handling",
)
LESSON_KINDS = {"went_well": "What went well", "to_improve": "What could be improved"}
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
        return _lines(section, value)
    if section == "fishbone":
        if not isinstance(value, Mapping) or not set(value) <= set(FISHBONE_CATEGORIES):
            raise PostmortemError("fishbone maps categories (people, process, technology, "
                                  "environment) to lists of causes")
        return {k: _lines(f"fishbone {k}", v) for k, v in value.items()}
    if section == "action_items":
        if not isinstance(value, list):
            raise PostmortemError("action_items is a list of {text, owner, due, done}")
        return [_action_item(item) for item in value]
    if section == "re_release":
        known = {key for key, _ in RE_RELEASE_CRITERIA}
        if not isinstance(value, Mapping) or not set(value) <= known or \
                not all(isinstance(v, bool) for v in value.values()):
            raise PostmortemError(f"re_release maps criteria ({', '.join(sorted(known))}) to "
                                  "true/false")
        return dict(value)
    try:
        return PostmortemStatus(value).value  # status
    except ValueError:
        raise PostmortemError(f"status is {' or '.join(PostmortemStatus)}, not "
                              f"{value!r}") from None


def _lines(what: str, value: Any) -> list[str]:
    # A bare string would otherwise pass as a list of its characters.
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PostmortemError(f"{what} is a list of lines")
    return [v.strip() for v in value if v.strip()]


def _action_item(data: Any) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise PostmortemError("an action item is {text, owner, due, done}")
    try:
        item = ActionItem.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise PostmortemError(f"an action item needs text, owner and a due date "
                              f"(YYYY-MM-DD): {exc}") from None
    if not item.text.strip() or not item.owner.strip():
        raise PostmortemError("an action item needs some text and an owner")
    return ActionItem(item.text.strip(), item.owner.strip(), item.due, item.done).to_dict()


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

    @property
    def late(self) -> bool:
        """Past its due time and not done."""
        return self.state is DueState.OVERDUE

    def short(self, now: datetime) -> str:
        """`report due in 5h`, `postmortem OVERDUE by 3h`, `report done` (whole hours once
        an hour or more is left: these are day-scale deadlines)."""
        name = "report" if self.what == "incident report" else self.what
        if self.state is DueState.DONE:
            return f"{name} done"
        if self.due_at is None:
            return f"{name} due {int(self.within().total_seconds() // 3600)}h after resolution"
        seconds = (self.due_at - now).total_seconds()
        span = _hours(abs(seconds))
        return f"{name} OVERDUE by {span}" if seconds < 0 else f"{name} due in {span}"

    def to_dict(self) -> dict[str, Any]:
        """JSON for `incidents list --json` and exports."""
        return {"what": self.what, "state": self.state.value,
                "due_at": self.due_at.isoformat() if self.due_at else None}


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


def _hours(seconds: float) -> str:
    hours, minutes = int(seconds // 3600), int(seconds % 3600 // 60)
    return f"{hours}h" if hours else f"{minutes}m"


def deadline_line(due: tuple[Deadline, ...], now: datetime) -> str:
    """`report due in 5h · postmortem due in 29h` (overdue ones say OVERDUE)."""
    return " · ".join(d.short(now) for d in due)


def state_deadlines(state: IncidentState, now: datetime | None = None) -> tuple[Deadline, ...]:
    """The deadlines of an incident as its journal says (resolution, report item, record)."""
    ticked = state.checks.get("incident_report") == CheckStatus.PASS
    return deadlines(state.resolved_at, state.postmortem, ticked, now)


# ---- the sections by their everyday names (command line and screen) ---------------------------


def _choose(kind: str, name: str, known: Mapping[str, str] | tuple[str, ...]) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in known:
        return key
    shown = ", ".join(k.replace("_", "-") for k in known)
    raise PostmortemError(f"no {kind} {name!r} (one of: {shown})")


def lesson_section(kind: str) -> str:
    """`went-well` → `went_well`; PostmortemError lists the kinds."""
    return _choose("kind of lesson", kind, LESSON_KINDS)


def fishbone_category(name: str) -> str:
    """A fishbone category by name; PostmortemError lists the four."""
    return _choose("fishbone category", name, FISHBONE_CATEGORIES)


def criterion_id(name: str) -> str:
    """A re-release criterion by id; PostmortemError lists them."""
    return _choose("re-release criterion", name, tuple(k for k, _ in RE_RELEASE_CRITERIA))


def text_section(name: str) -> str:
    """A written section of the report by name; PostmortemError lists them."""
    return _choose("text section", name, TEXT_SECTIONS)


def parse_due(text: str) -> date:
    """A due date as typed (YYYY-MM-DD); PostmortemError says what is expected."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PostmortemError(f"due date {text.strip()!r} is not a date: use YYYY-MM-DD "
                              "(e.g. 2026-12-04)") from None


# ---- reading the record ------------------------------------------------------------------------


def action_items(record: Mapping[str, Any]) -> list[ActionItem]:
    """The record's action items (entries the journal holds in another shape are left out)."""
    items = []
    for data in record.get("action_items") or ():
        try:
            items.append(ActionItem.from_dict(data))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return items


def why_chain(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The five whys as the seed writes them: `Why?` lines ending in `Root Cause` (the root
    cause section if written, else the last answer)."""
    whys = [str(w) for w in record.get("five_whys") or ()]
    root = str(record.get("root_cause") or "").strip()
    chain = [("Why?", w) for w in whys]
    if root:
        chain.append(("Root Cause", root))
    elif chain:
        chain[-1] = ("Root Cause", chain[-1][1])
    return chain


def missing_for_completion(record: Mapping[str, Any]) -> list[str]:
    """What the record still lacks before it can be marked complete: a root cause (written or
    the end of the five whys) and at least one action item with an owner."""
    missing = []
    if not str(record.get("root_cause") or "").strip() and not record.get("five_whys"):
        missing.append("a root cause (root_cause, or the five whys)")
    if not action_items(record):
        missing.append("an action item with an owner and a due date")
    return missing


def criteria_met(record: Mapping[str, Any]) -> int:
    """How many re-release criteria are ticked."""
    ticks = record.get("re_release") or {}
    return sum(bool(ticks.get(key)) for key, _ in RE_RELEASE_CRITERIA) \
        if isinstance(ticks, Mapping) else 0
