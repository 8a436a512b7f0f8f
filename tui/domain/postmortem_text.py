"""The post-incident record as text for the terminal and as JSON, with its deadlines (what
`rollback incidents postmortem ID` prints). Every value from the journal is made plain."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tui.domain import postmortem as pm
from tui.domain.incident import IncidentState
from tui.domain.safe_text import plain

LINE_LIMIT = 2000  # a written section's line is shown whole; only controls are removed


def _due_at(deadline: pm.Deadline) -> str:
    return f" (by {deadline.due_at:%Y-%m-%d %H:%M} UTC)" if deadline.due_at else ""


def _list(lines: Any, indent: str = "  ") -> list[str]:
    entries = [str(v) for v in lines or ()]
    if not entries:
        return [f"{indent}(none yet)"]
    return [f"{indent}{n}. {plain(v, LINE_LIMIT)}" for n, v in enumerate(entries, 1)]


def _text_sections(record: Mapping[str, Any]) -> list[str]:
    lines = ["Incident report"]
    for key, prompt in pm.TEXT_SECTIONS.items():
        title = key.replace("_", " ").capitalize()
        written = str(record.get(key) or "").strip()
        if not written:
            lines.append(f"  {title}: (not written — {prompt})")
            continue
        body = [plain(line, LINE_LIMIT) for line in written.splitlines() if line.strip()]
        lines.append(f"  {title}: {body[0]}")
        lines += [f"    {line}" for line in body[1:]]
    return lines


def _action_lines(record: Mapping[str, Any], now: datetime) -> list[str]:
    items = pm.action_items(record)
    if not items:
        return ["  (none yet)"]
    lines = []
    for number, item in enumerate(items, 1):
        late = not item.done and item.due < now.date()
        mark = "✓" if item.done else "◌"
        lines.append(f"  {number}. {mark} {plain(item.text, LINE_LIMIT)} — owner "
                     f"{plain(item.owner, 80)} — due {item.due.isoformat()}"
                     + (" OVERDUE" if late else "") + (" (done)" if item.done else ""))
    return lines


def record_text(state: IncidentState, now: datetime) -> str:
    """The whole record, section by section, under its deadlines."""
    record = state.postmortem
    due = pm.state_deadlines(state, now)
    status = str(record.get("status") or pm.PostmortemStatus.DRAFT).upper()
    lines = [f"Post-incident record of {state.incident_id} — {plain(state.title, 120)}",
             f"incident {state.status}"
             + (f" at {state.resolved_at} ({state.rollback_status or state.outcome})"
                if state.resolved_at else "") + f" · record {status}",
             "deadlines: " + " · ".join(d.short(now) + _due_at(d) for d in due)]
    if due[0].state is not pm.DueState.DONE:
        lines.append("  (the report counts as done once the post-rollback action "
                     "incident_report is ticked: … postmortem ID tick incident_report)")
    lines += ["", *_text_sections(record), "", "Five whys"]
    chain = pm.why_chain(record)
    lines += [f"  {label}{':' if label != 'Why?' else ''} {plain(text, LINE_LIMIT)}"
              for label, text in chain] or ["  (none yet)"]
    lines += ["", "Fishbone"]
    bones = record.get("fishbone") or {}
    for category, about in pm.FISHBONE_CATEGORIES.items():
        lines.append(f"  {category.capitalize()} ({about.lower()})")
        lines += _list(bones.get(category) if isinstance(bones, Mapping) else (), "    ")
    lines += ["", "Lessons learned"]
    for kind, title in pm.LESSON_KINDS.items():
        lines.append(f"  {title}")
        lines += _list(record.get(kind), "    ")
    lines += ["", "Action items", *_action_lines(record, now)]
    lines += ["", "Prevention", *_list(record.get("prevention"))]
    ticks = record.get("re_release") or {}
    met = f"{pm.criteria_met(record)} of {len(pm.RE_RELEASE_CRITERIA)}"
    lines += ["", f"Re-release criteria ({met})"]
    lines += [f"  {'✓' if isinstance(ticks, Mapping) and ticks.get(key) else '◌'} "
              f"{key.replace('_', '-'):<23} {text}" for key, text in pm.RE_RELEASE_CRITERIA]
    missing = pm.missing_for_completion(record)
    if status != "COMPLETE":
        lines += ["", "To mark it complete: " + ("it needs " + " and ".join(missing) if missing
                                                else "… postmortem ID complete")]
    return "\n".join(lines) + "\n"


def record_json(state: IncidentState, now: datetime) -> dict[str, Any]:
    """The record, its deadlines and what it lacks, as one JSON object."""
    due = pm.state_deadlines(state, now)
    return {"id": state.incident_id, "title": state.title, "status": str(state.status),
            "resolved_at": state.resolved_at, "record": dict(state.postmortem),
            "deadlines": [d.to_dict() for d in due], "due": pm.deadline_line(due, now),
            "missing_for_completion": pm.missing_for_completion(state.postmortem)}
