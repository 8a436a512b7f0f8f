"""The post-incident screen's pure renders, without an app: the header, the summary rows,
an action item's line and a list row — hostile data stays inert text."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rich.console import Console

from tui.domain.incident import IncidentState
from tui.domain.postmortem import ActionItem
from widgets.action_items import item_text
from widgets.line_list import row_text
from widgets.postmortem_summary import header_text, summary_rows, summary_table

RESOLVED = "2026-11-30T04:32:00+00:00"
BEFORE_REPORT = datetime(2026, 11, 30, 23, 32, tzinfo=UTC)
AFTER_REPORT = datetime(2026, 12, 1, 11, 32, tzinfo=UTC)


def _state(**postmortem: object) -> IncidentState:
    return IncidentState(title="checkout [red]2.4.0[/red] failing", resolved_at=RESOLVED,
                         rollback_status="PARTIAL", postmortem=dict(postmortem))


def _rows(state: IncidentState, now: datetime) -> dict[str, str]:
    return {label: value.plain for label, value in summary_rows(state, now)}


def test_the_header_says_draft_and_each_deadline() -> None:
    header, late = header_text(_state(), BEFORE_REPORT, read_only=False)
    assert header.plain == ("Post-incident record · DRAFT · report due in 5h · "
                            "postmortem due in 29h") and not late
    header, late = header_text(_state(status="complete"), AFTER_REPORT, read_only=True)
    assert header.plain == ("Post-incident record · COMPLETE · report OVERDUE by 7h · "
                            "postmortem done · READ-ONLY (followed)") and late


def test_the_summary_says_what_is_written_and_what_is_missing() -> None:
    rows = _rows(_state(), BEFORE_REPORT)
    assert rows["Report"] == ("◌ report due in 5h (2026-12-01 04:32 UTC) — tick “Incident "
                              "report created” below when written")
    assert rows["Written"] == ("◌ 0 of 6 sections — to write: issue description · root "
                               "cause · user impact · detection · response · resolution")
    assert rows["Five whys"] == "none yet"
    assert rows["Complete"].startswith("◌ needs a root cause")

    state = _state(five_whys=["the pool was exhausted"], root_cause="no pool limit",
                   action_items=[{"text": "cap the pool", "owner": "bob", "due": "2026-11-29",
                                  "done": False}],
                   re_release={"root_cause_fixed": True})
    rows = _rows(state, AFTER_REPORT)
    assert rows["Report"].startswith("! report OVERDUE by 7h")
    assert rows["Five whys"] == "1 — Root Cause: no pool limit"
    assert rows["Actions"] == "1: 0 done · 1 OVERDUE"
    assert rows["Re-release"] == "1 of 8 criteria met"
    assert rows["Complete"] == "◌ ready: ctrl+r marks it complete"


def test_hostile_text_is_shown_as_typed() -> None:
    state = _state(five_whys=["[bold]why[/bold] \x1b[31m"])
    console = Console(width=100, record=True, color_system=None)
    console.print(summary_table(summary_rows(state, BEFORE_REPORT)))
    shown = console.export_text()
    assert "checkout [red]2.4.0[/red] failing" in shown
    assert "[bold]why[/bold]" in shown and "\x1b" not in shown
    assert row_text("Why?", "[link=x]y").plain == "Why? [link=x]y"


def test_an_action_item_line_reads_without_colour() -> None:
    today = date(2026, 11, 30)
    late = item_text(2, ActionItem("page on crash-loops", "carol", date(2026, 11, 29)), today)
    assert late.plain == "◌ 2. page on crash-loops — carol — due 2026-11-29 OVERDUE"
    done = item_text(1, ActionItem("cap", "bob", date(2026, 11, 29), done=True), today)
    assert done.plain == "✓ 1. cap — bob — due 2026-11-29 done"
