"""The debrief when a drill ends: the score, big; the decision against the ground truth and the
two times against their targets; then, scrolling, the measures, the anti-patterns with their
evidence, the timeline with the moments that cost time, what the ground truth says and what to
practise next. Built from a `Scorecard` (plain data); `open_debrief` scores the drill first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Digits, Footer

from screens.base import AppScreen, context_info
from tui.domain.drill_scorecard import Scorecard
from tui.domain.status import Phase
from widgets.context_bar import ContextBar
from widgets.debrief_render import (
    GRADE_ROLE,
    anti_pattern_lines,
    headline_lines,
    measure_lines,
    practise_lines,
    timeline_lines,
    title_line,
    truth_lines,
    unavailable_lines,
    warning_lines,
)
from widgets.debrief_view import DebriefBlock
from widgets.text import Line
from widgets.wrapping import hanging

if TYPE_CHECKING:
    from tui.app.application import RollbackApp
    from tui.session.session import IncidentSession

SECTIONS: dict[str, Callable[[Scorecard, int], list[Line]]] = {
    "measures": measure_lines, "anti-patterns": anti_pattern_lines, "truth": truth_lines,
    "practise": practise_lines}


class DebriefScreen(AppScreen):
    """The scorecard of a finished drill (or why there is none)."""

    CSS_PATH = "debrief.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="debrief_back"),
        Binding("e", "export", "Export report", id="debrief_export"),
        # One key, two labels: the footer names what `t` will show next.
        Binding("t", "timeline(True)", "Whole timeline", id="debrief_timeline_whole"),
        Binding("t", "timeline(False)", "Moments only", id="debrief_timeline_moments"),
        Binding("a", "jump('anti-patterns')", "Anti-patterns", id="debrief_jump_anti_patterns",
                show=False),
        Binding("g", "jump('truth')", "Ground truth", id="debrief_jump_truth", show=False),
        Binding("p", "jump('practise')", "Practise next", id="debrief_jump_practise",
                show=False),
        Binding("space", "page", "Page down", id="debrief_page", show=False),
    ]

    def __init__(self, scorecard: Scorecard | str) -> None:
        """A scorecard, or the sentence saying why the drill could not be scored."""
        super().__init__()
        self.scorecard = scorecard
        self.whole_timeline = False

    def compose(self) -> ComposeResult:
        """Context bar, title, the score beside the headline, the report scrolling, footer."""
        context = self.rollback_app.context
        yield ContextBar(clock=context.clock, production_pattern=context.production_pattern,
                         id="context-bar")
        card = self.scorecard
        if not isinstance(card, Scorecard):
            yield DebriefBlock(lambda _w: [[("Drill debrief", "strong")]], id="debrief-title")
            with VerticalScroll(id="debrief-body"):
                yield DebriefBlock(lambda w: unavailable_lines(str(card), w),
                                   id="debrief-unavailable")
            yield Footer()
            return
        yield DebriefBlock(lambda w: _wrapped_title(card, w), id="debrief-title")
        with Horizontal(id="debrief-summary"):
            score = Digits(str(card.score), id="debrief-score")
            score.add_class(f"-{GRADE_ROLE.get(card.grade, 'muted')}")
            yield score
            yield DebriefBlock(lambda w: headline_lines(card, w), id="debrief-headline")
        with VerticalScroll(id="debrief-body"):
            if card.warnings:
                yield DebriefBlock(lambda w: warning_lines(card, w), id="debrief-warnings")
            for key in ("measures", "anti-patterns"):
                yield DebriefBlock(_section(SECTIONS[key], card), id=f"debrief-{key}",
                                   classes="debrief-section")
            yield DebriefBlock(self._timeline, id="debrief-timeline", classes="debrief-section")
            for key in ("truth", "practise"):
                yield DebriefBlock(_section(SECTIONS[key], card), id=f"debrief-{key}",
                                   classes="debrief-section")
        yield Footer()

    def on_mount(self) -> None:
        """The context bar from the incident; the report takes the keys (arrows scroll)."""
        session = self.session
        if session is not None:
            self.query_one(ContextBar).info = context_info(session, Phase.CLOSED)
        self.query_one("#debrief-body").focus()

    def _timeline(self, width: int) -> list[Line]:
        card = self.scorecard
        assert isinstance(card, Scorecard)
        entries = self.rollback_app.timeline if self.whole_timeline else ()
        return timeline_lines(card, width, entries, whole=self.whole_timeline)

    # ---- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Export, the timeline and the jumps need a scorecard; export also its incident."""
        scored = isinstance(self.scorecard, Scorecard)
        if action == "timeline":
            return scored and parameters != (self.whole_timeline,)
        if action == "jump":
            return scored
        if action == "export":
            return scored and self.session is not None
        return True

    def action_back(self) -> None:
        """Back to where the debrief was opened from."""
        self.dismiss(None)

    def action_timeline(self, whole: bool) -> None:
        """Show every journal line in the timeline, or only the moments that cost time."""
        self.whole_timeline = whole
        self.refresh_bindings()
        self.query_one("#debrief-timeline", DebriefBlock).redraw()
        self.query_one("#debrief-timeline").scroll_visible(top=True, animate=False)

    def action_jump(self, section: str) -> None:
        """Scroll the section to the top."""
        self.query_one(f"#debrief-{section}").scroll_visible(top=True, animate=False)

    def action_page(self) -> None:
        """Page down (space, as in a pager)."""
        self.query_one("#debrief-body", VerticalScroll).scroll_page_down(animate=False)

    def action_export(self) -> None:
        """Write the drill report (Markdown and HTML) into the incident's exports folder."""
        session = self.session
        if session is not None:
            export_drill_report(self.rollback_app, session)


def _section(render: Callable[[Scorecard, int], list[Line]], card: Scorecard
             ) -> Callable[[int], list[Line]]:
    return lambda width: render(card, width)


def _wrapped_title(card: Scorecard, width: int) -> list[Line]:
    line = title_line(card)
    head, (text, role) = line[:-1], line[-1]
    return hanging(head, text, role, width, indent=2)


def export_drill_report(app: RollbackApp, session: IncidentSession) -> None:
    """Export the drill report in a worker and say where it went (or why not)."""
    from widgets.text import inert

    def job() -> list[str] | str:
        from tui.app.drill_debrief import export_drill_report as export

        return export(session.folder, session.runbook)

    def written(result: list[str] | str) -> None:
        if isinstance(result, str):
            app.notify(f"not exported: {inert(result)}", title="Drill report",
                       severity="error", timeout=15, markup=False)
            return
        app.notify("exported: " + ", ".join(inert(p) for p in result), title="Drill report",
                   timeout=15, markup=False)

    app.run_in_session("export the drill report", job, written)


def open_debrief(app: RollbackApp) -> None:
    """Score the app's drill in a worker, then show its debrief (or why it has none)."""
    app.run_in_session("score the drill", app.scorecard,
                       lambda card: app.push_screen(DebriefScreen(card)))
