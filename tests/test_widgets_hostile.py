"""Hostile strings through every widget: shown as inert characters, never interpreted, and
never breaking the layout (every screen row stays exactly the terminal's width)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

import pytest
from rich.cells import cell_len
from textual.widget import Widget
from widgets_scenario import (
    HOSTILE,
    HOSTILE_TEXT,
    NOW,
    Harness,
    executing_state,
    fixed_clock,
    journal,
    runbook,
    screen_lines,
)

from tui.domain.checklist import ChecklistEntry, ChecklistSection, StatusSummary
from tui.domain.incident import StepState
from tui.domain.status import CheckStatus, Phase, RollbackStatus, StepStatus
from tui.domain.timeline import EventCategory, EventSeverity, Symbol, TimelineEntry, describe
from widgets.checklist import Checklist
from widgets.context_bar import ContextBar, ContextInfo
from widgets.phase_strip import PhaseProgress, PhaseStrip
from widgets.step_card import StepCard, StepDetail
from widgets.step_list import StepList
from widgets.timeline import Timeline

MARKUP = "[bold red]boom[/]"
LINK = "[link=file:///etc/passwd]x[/link]"


def context_bar() -> list[Widget]:
    info = ContextInfo(MARKUP, HOSTILE[0] + "ns", LINK, "a\rb\x00c", Phase.EXECUTE, NOW - 60,
                       NOW + 30, drill=True, held_by=HOSTILE[-1])
    return [ContextBar(info, clock=fixed_clock)]


def phase_strip() -> list[Widget]:
    return [PhaseStrip(PhaseProgress(Phase.EXECUTE, {Phase.ASSESS: MARKUP,
                                                     Phase.DECIDE: HOSTILE_TEXT},
                                     {Phase.EXECUTE: HOSTILE[0] + "5/13 " + LINK}))]


def step_list() -> list[Widget]:
    book = runbook()
    steps = tuple(replace(step, title=HOSTILE[n % len(HOSTILE)] + f" {n}")
                  for n, step in enumerate(book.steps))
    steps = (replace(steps[0], title=MARKUP), replace(steps[1], title=LINK), *steps[2:])
    widget = StepList(replace(book, steps=steps), executing_state(), clock=fixed_clock)
    widget.blockers = {step.id: HOSTILE_TEXT for step in book.steps}
    return [widget]


def step_card() -> list[Widget]:
    detail = StepDetail(8, "x", MARKUP + HOSTILE[0], "k8s.rollout_undo", f"echo {MARKUP} {LINK}",
                        HOSTILE_TEXT, "\r\n".join(HOSTILE), "1m", danger=True,
                        on_failure=HOSTILE_TEXT, message="\n".join(HOSTILE))
    state = StepState("x", StepStatus.FAILED, detail=HOSTILE_TEXT, request=HOSTILE_TEXT,
                      reason=MARKUP, evidence=LINK, output=list(HOSTILE),
                      started_at="2026-11-30T04:26:00.000Z", finished_at=HOSTILE[0])
    card = StepCard(detail, state, clock=fixed_clock)
    card.call_after_refresh(lambda: [card.append_output(line) for line in HOSTILE])
    return [card]


def checklist() -> list[Widget]:
    entries = tuple(ChecklistEntry(f"i{n}", text, "verification", n % 2 == 0,
                                   [CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.OPEN][n % 3],
                                   note=HOSTILE[-n - 1], actor=text)
                    for n, text in enumerate(HOSTILE))
    sections = (ChecklistSection("verification", MARKUP, entries),)
    summary = StatusSummary(RollbackStatus.FAILED, (MARKUP,), (LINK,), (), tuple(HOSTILE), 0)
    return [Checklist(sections, summary, {"i0": LINK, "i1": HOSTILE[0]})]


def timeline() -> list[Widget]:
    entries = [TimelineEntry(n, "ts", text[:8], HOSTILE[-n - 1], EventCategory.NOTE,
                             Symbol.WARNING, text, EventSeverity.ERROR)
               for n, text in enumerate(HOSTILE)]
    events = journal([("04:30:00", "note.added", {"text": text}) for text in HOSTILE])
    return [Timeline([*entries, *(describe(e) for e in events)])]


BUILDERS: dict[str, Callable[[], Iterable[Widget]]] = {
    "context_bar": context_bar, "phase_strip": phase_strip, "step_list": step_list,
    "step_card": step_card, "checklist": checklist, "timeline": timeline,
}


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(BUILDERS))
async def test_hostile_strings_stay_inert_and_in_their_cells(name: str,
                                                             size: tuple[int, int]) -> None:
    app = Harness(BUILDERS[name], pane=name in ("step_list", "step_card", "checklist"))
    async with app.run_test(size=size) as pilot:
        await pilot.press("down", "down")  # lists: highlighted rows show their full text
        await pilot.pause()
        lines = screen_lines(app)
        text = "\n".join(lines)
        for control in ("\x1b", "\x07", "\x00", "\r", "\t", "\x9b"):
            assert control not in text, f"{control!r} reached the screen"
        assert "^[" in text  # escapes shown inert, in caret notation (the clipboard stays empty)
        # The markup is shown as characters, not applied (the longer caret text may push one
        # of the two out of a narrow cell).
        assert "[bold red]" in text or "[link=" in text
        assert all(cell_len(line) == size[0] for line in lines), "a row lost its width"
        assert len(lines) == size[1]
        assert app.clipboard == ""
        svg = app.export_screenshot()
        assert "file:///etc/passwd" not in svg.split("<text", 1)[0]  # no link was made
        assert 'href="file:' not in svg


async def test_the_link_markup_is_shown_literally() -> None:
    app = Harness(step_list, pane=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "[link=file:///etc/passwd]x[/link]" in text
        assert "漢字テスト🚀" in text
