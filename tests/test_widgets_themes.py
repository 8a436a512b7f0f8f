"""Switching the theme while the app runs recolours every widget, cached lines included."""

from __future__ import annotations

from textual.widget import Widget
from widgets_scenario import (
    Harness,
    executing_state,
    execution_events,
    fixed_clock,
    journal,
    runbook,
    verifying_state,
)

from tui.domain.checklist import checklist, derive_status
from tui.domain.status import Phase
from tui.domain.timeline import describe
from widgets.checklist import Checklist
from widgets.phase_strip import PhaseStrip, phase_progress
from widgets.step_card import StepCard, step_detail
from widgets.step_list import StepList
from widgets.timeline import Timeline


def everything() -> list[Widget]:
    book, state = runbook(), executing_state()
    snapshot = next(s for s in book.steps if s.id == "snapshot")
    return [
        PhaseStrip(phase_progress(state, book, Phase.EXECUTE)),
        StepList(book, state, clock=fixed_clock),
        StepCard(step_detail(book, snapshot, state.params), state.steps["snapshot"],
                 clock=fixed_clock),
        Checklist(checklist(book, verifying_state()), derive_status(book, verifying_state())),
        Timeline([describe(e) for e in journal(execution_events())]),
    ]


def tick_colours(app: Harness) -> set[str]:
    """The colours of every ✓ on the screen."""
    colours = set()
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            if "✓" in segment.text and segment.style and segment.style.color:
                colours.add(segment.style.color.triplet.hex)
    return colours


async def test_a_new_theme_recolours_every_tick() -> None:
    app = Harness(everything)
    async with app.run_test(size=(120, 120)) as pilot:
        await pilot.pause()
        dark = app.current_theme.to_color_system().generate()["text-success"].lower()
        before = tick_colours(app)
        assert dark in before  # (cursor rows draw theirs in the cursor's colours)
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        light = app.current_theme.to_color_system().generate()["text-success"].lower()
        assert dark != light
        after = tick_colours(app)
        assert light in after and dark not in after
        assert len(after) == len(before)  # every tick recoloured, none left in the old colour
