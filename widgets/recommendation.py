"""The assessment's verdict: impact score with its formula, the recommendation and its urgency,
the six-factor decision matrix with each vote, the reasons and the warnings."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.domain.assessment import (
    ROLLBACK_SCORE_THRESHOLD,
    SEVERITY_WEIGHTS,
    Decision,
    Recommendation,
    Vote,
)
from widgets.text import inert

VOTE_TEXT = {Vote.ROLLBACK: ("◀ rollback", "bold"), Vote.FIX_FORWARD: ("fix forward ▶", ""),
             Vote.NEUTRAL: ("· neutral", "dim")}


def score_line(recommendation: Recommendation, pct: float, severity: str) -> Text:
    """`impact 100 = 20 % × P1 weight 5 — above 50: rollback recommended`."""
    weight = SEVERITY_WEIGHTS[recommendation.votes[0].value_text.split()[0]] \
        if recommendation.votes else 0
    above = recommendation.impact_score > ROLLBACK_SCORE_THRESHOLD
    text = Text()
    text.append(f"impact {recommendation.impact_score:g}", style="bold")
    text.append(f" = {pct:g} % × {severity} weight {weight} — ")
    text.append(("above" if above else "not above") + f" {ROLLBACK_SCORE_THRESHOLD}",
                style="bold" if above else "")
    return text


def render_recommendation(recommendation: Recommendation | None, *, pct: float = 0.0,
                          severity: str = "", problem: str = "") -> RenderableType:
    """The whole verdict as one renderable (pure: unit-tested without an app)."""
    if recommendation is None:
        return Text("◌ " + (problem or "choose the severity and the share of users affected "
                            "to see the recommendation"), style="dim")
    decision = recommendation.decision
    head = Text()
    symbol = "⟲" if decision is Decision.ROLLBACK else "→"
    head.append(f"{symbol} {decision.value}", style="bold reverse")
    head.append(f"  {recommendation.urgency}   ")
    head.append_text(score_line(recommendation, pct, severity))
    matrix = Table.grid(padding=(0, 1))
    matrix.add_column(no_wrap=True)
    matrix.add_column(no_wrap=True, style="bold")
    matrix.add_column(no_wrap=True)
    for vote in recommendation.votes:
        label, style = VOTE_TEXT[vote.vote]
        matrix.add_row(Text(vote.factor), Text(inert(vote.value_text)), Text(label, style=style))
    reasons = Text()
    for reason in recommendation.reasons:
        reasons.append("• " + inert(reason) + "\n")
    for warning in recommendation.warnings:
        reasons.append("! " + inert(warning) + "\n", style="bold")
    reasons.rstrip()
    return Group(head, matrix, reasons)


class RecommendationPanel(Widget):
    """Shows the recommendation for the assessment being filled in; updates as it changes."""

    DEFAULT_CSS = """
    RecommendationPanel { height: auto; border: round $accent; padding: 0 1; }
    RecommendationPanel.-rollback { border: round $error; }
    """

    recommendation: reactive[Recommendation | None] = reactive(None, layout=True)
    """The current recommendation (None until severity and users affected are known)."""
    pct: reactive[float] = reactive(0.0)
    """Users affected, %, for the formula line."""
    severity: reactive[str] = reactive("")
    """P0–P3, for the formula line."""
    problem: reactive[str] = reactive("")
    """Why there is no recommendation yet."""

    def on_mount(self) -> None:
        """Title the border."""
        self.border_title = "Recommendation"

    def watch_recommendation(self, value: Recommendation | None) -> None:
        """Rollback recommendations get the error border."""
        self.set_class(value is not None and value.decision is Decision.ROLLBACK, "-rollback")

    def render(self) -> RenderableType:
        """The verdict."""
        return render_recommendation(self.recommendation, pct=self.pct, severity=self.severity,
                                     problem=self.problem)
