"""The post-incident record at a glance: the report and postmortem deadlines, what is written,
what is missing before it can be marked complete (a pure render from the incident state)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from tui.domain import postmortem as pm
from tui.domain.incident import IncidentState
from widgets.text import inert

LABEL_WIDTH = 12
DONE_HINT = {"incident report": "tick “Incident report created” below when written",
             "postmortem": "ctrl+r marks the record complete"}


def header_text(state: IncidentState, now: datetime, read_only: bool) -> tuple[Text, bool]:
    """`Post-incident record · DRAFT · report due in 5h · postmortem due in 29h` and whether
    a deadline has passed."""
    due = pm.state_deadlines(state, now)
    status = str(state.postmortem.get("status") or pm.PostmortemStatus.DRAFT).upper()
    text = Text.assemble(("Post-incident record", "bold"), f" · {status} · ")
    for number, deadline in enumerate(due):
        if number:
            text.append(" · ")
        text.append(deadline.short(now), "bold" if deadline.late else "")
    if read_only:
        text.append(" · READ-ONLY (followed)", "bold")
    return text, any(d.late for d in due)


Rows = list[tuple[str, Text]]


def _row(rows: Rows, label: str, *parts: tuple[str, str] | str) -> None:
    rows.append((label, Text.assemble(*parts)))


def _deadline(deadline: pm.Deadline, now: datetime) -> list[tuple[str, str] | str]:
    parts: list[tuple[str, str] | str] = [("✓ " if deadline.state is pm.DueState.DONE else
                                           "! " if deadline.late else "◌ ", "bold")]
    parts.append((deadline.short(now), "bold" if deadline.late else ""))
    if deadline.due_at is not None:
        parts.append(f" ({deadline.due_at:%Y-%m-%d %H:%M} UTC)")
    if deadline.state is not pm.DueState.DONE:
        parts.append(f" — {DONE_HINT[deadline.what]}")
    return parts


def _counts(keys: Mapping[str, str], source: Any) -> str:
    return " · ".join(f"{name} {len(source.get(key) or ()) if isinstance(source, Mapping) else 0}"
                      for key, name in keys.items())


def summary_table(rows: Rows) -> Table:
    """The rows as two columns (long values wrap under their own column)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(width=LABEL_WIDTH - 1, no_wrap=True, style="bold")
    table.add_column(ratio=1)
    for label, value in rows:
        table.add_row(label, value)
    return table


def summary_rows(state: IncidentState, now: datetime) -> Rows:
    """One row per part of the record: (label, value)."""
    record = state.postmortem
    text: Rows = []
    resolved = f"resolved {state.resolved_at[11:16]} UTC ({state.rollback_status or ''})" \
        if state.resolved_at else "open: the deadlines start when it is resolved"
    _row(text, "Incident", inert(state.title, 80), f" — {resolved}")
    report, postmortem = pm.state_deadlines(state, now)
    _row(text, "Report", *_deadline(report, now))
    _row(text, "Postmortem", *_deadline(postmortem, now))
    written = [key for key in pm.TEXT_SECTIONS if str(record.get(key) or "").strip()]
    unwritten = [key.replace("_", " ") for key in pm.TEXT_SECTIONS if key not in written]
    _row(text, "Written", ("✓ " if not unwritten else "◌ ", "bold"),
         f"{len(written)} of {len(pm.TEXT_SECTIONS)} sections",
         f" — to write: {' · '.join(unwritten)}" if unwritten else "")
    chain = pm.why_chain(record)
    whys = len(record.get("five_whys") or ())
    _row(text, "Five whys", f"{whys} — Root Cause: {inert(chain[-1][1], 160)}" if chain
         else "none yet")
    _row(text, "Fishbone", _counts({k: k for k in pm.FISHBONE_CATEGORIES},
                                   record.get("fishbone") or {}))
    _row(text, "Lessons", _counts({"went_well": "went well", "to_improve": "to improve"},
                                  record))
    items = pm.action_items(record)
    late = sum(not i.done and i.due < now.date() for i in items)
    _row(text, "Actions", f"{len(items)}: {sum(i.done for i in items)} done",
         " · " if late else "", (f"{late} OVERDUE" if late else "", "bold"))
    _row(text, "Prevention", f"{len(record.get('prevention') or ())} measure(s)")
    _row(text, "Re-release", f"{pm.criteria_met(record)} of {len(pm.RE_RELEASE_CRITERIA)} "
         "criteria met")
    missing = pm.missing_for_completion(record)
    if record.get("status") == pm.PostmortemStatus.COMPLETE:
        _row(text, "Complete", ("✓ marked complete", "bold"))
    elif missing:
        _row(text, "Complete", "◌ needs " + " and ".join(missing))
    else:
        _row(text, "Complete", "◌ ready: ctrl+r marks it complete")
    return text
