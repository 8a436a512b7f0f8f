"""Assessment: where the issue was detected, the seed's five severity questions, users
affected, the P0/P1 criteria and the rollback-vs-fix-forward lists — with the impact score,
the six-factor matrix and the recommendation updating as the values change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, RadioButton, RadioSet, SelectionList, Static
from textual.widgets.selection_list import Selection

from screens.base import IncidentScreen
from tui.domain.assessment import (
    FIX_FORWARD_WHEN,
    ISSUE_SOURCES,
    P0_IMMEDIATE,
    P1_LIKELY,
    ROLLBACK_WHEN,
    Assessment,
    Criterion,
    DataMigration,
    Recommendation,
    Severity,
    Stability,
    Trend,
    Workaround,
    recommend,
)
from tui.domain.status import Phase
from widgets.choice import ChoiceButton, TickList
from widgets.recommendation import RecommendationPanel

CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "severity": (("P0", "P0"), ("P1", "P1"), ("P2", "P2"), ("P3", "P3")),
    "trend": tuple((t.value, t.value) for t in Trend),
    "workaround": (("none", "none"), ("easy", "easy")),
    "stability": (("single_issue", "single"), ("multiple_issues", "multiple")),
    "data_migration": (("none", "none"), ("reversible", "reversible"),
                       ("irreversible", "irreversible")),
}
TITLES = {"severity": "Severity: P0 critical · P1 high · P2 medium · P3 low",
          "trend": "Trend: getting worse?", "workaround": "Workaround: quick mitigation?",
          "stability": "Stability: one issue or several?",
          "data_migration": "Data migration in the release"}
LISTS: dict[str, tuple[str, tuple[Criterion, ...]]] = {
    "sources": ("Detected by", ISSUE_SOURCES),
    "p0": ("P0 — immediate rollback", P0_IMMEDIATE),
    "p1": ("P1 — rollback likely", P1_LIKELY),
    "rollback_when": ("Rollback when", ROLLBACK_WHEN),
    "fix_forward_when": ("Fix forward when", FIX_FORWARD_WHEN),
}
NUMBERS = {"users_affected_pct": ("Users %", "0–100"),
           "duration_minutes": ("Lasted min", "so far"),
           "time_to_fix_minutes": ("Fix min", "blank=?")}


def _number(text: str) -> float | None:
    text = text.strip().rstrip("%").strip()
    if not text:
        return None
    return float(text)


def build_assessment(values: dict[str, Any]) -> Assessment:
    """An Assessment from the form's raw values; ValueError says what is missing or wrong."""
    if not values.get("severity"):
        raise ValueError("choose the severity (P0–P3)")
    try:
        pct = _number(values.get("users_affected_pct", ""))
        duration = _number(values.get("duration_minutes", ""))
        ttf = _number(values.get("time_to_fix_minutes", ""))
    except ValueError:
        raise ValueError("the numbers must be numbers (e.g. 20, 12.5)") from None
    if pct is None:
        raise ValueError("give the share of users affected (0–100 %)")
    criteria = {*values.get("p0", ()), *values.get("p1", ()), *values.get("rollback_when", ()),
                *values.get("fix_forward_when", ())}
    return Assessment(
        severity=Severity(values["severity"]), users_affected_pct=pct, time_to_fix_minutes=ttf,
        data_migration=DataMigration(values.get("data_migration") or "none"),
        stability=Stability(values.get("stability") or "single_issue"),
        workaround=Workaround(values.get("workaround") or "none"),
        criteria=frozenset(criteria), description=values.get("description", "").strip(),
        duration_minutes=duration, trend=Trend(values.get("trend") or "unknown"),
        scope=values.get("scope", "").strip(),
        detection_sources=frozenset(values.get("sources", ())))


class AssessScreen(IncidentScreen):
    """① Assess: inputs on the left, the recommendation under them, evidence on the right."""

    CSS_PATH = "forms.tcss"
    AUTO_FOCUS = "#description"  # focused as the screen is composed: no typed key is lost
    PHASE = Phase.ASSESS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "record", "Record assessment", id="assess_record", priority=True),
    ]

    def compose_work(self) -> ComposeResult:
        """The form and the recommendation."""
        with VerticalScroll(id="assess-form", classes="form"):
            yield Input(placeholder="What is broken? (one line)", id="description")
            yield Input(placeholder="Scope: who/what is affected (e.g. EU checkout)",
                        id="scope")
            with Horizontal(classes="numbers"):
                for key, (label, hint) in NUMBERS.items():
                    field = Input(placeholder=hint, id=key, classes="number")
                    field.border_title = label
                    yield field
            for key, options in CHOICES.items():
                radio = RadioSet(*(ChoiceButton(label, name=value) for value, label in options),
                                 id=key, classes="choice")
                radio.border_title = TITLES[key]
                yield radio
            for key, (title, criteria) in LISTS.items():
                selection = TickList(*(Selection(c.label, c.id) for c in criteria),
                                               id=key, classes="criteria")
                selection.border_title = title
                yield selection
        yield RecommendationPanel(id="recommendation")
        yield Static("", id="assess-hint", classes="hint")

    def on_mount(self) -> None:
        """Fill the form from the last recorded assessment, if any."""
        state = self.session.state if self.session else None
        inputs = ((state.assessment or {}).get("inputs") or {}) if state else {}
        if inputs:
            self._fill(inputs)
        self.refresh_recommendation()
        self.query_one("#description", Input).focus()

    def _fill(self, inputs: dict[str, Any]) -> None:
        for key in ("description", "scope", *NUMBERS):
            value = inputs.get(key)
            if value is not None:
                self.query_one(f"#{key}", Input).value = f"{value:g}" if isinstance(
                    value, int | float) else str(value)
        for key in CHOICES:
            value = inputs.get(key)
            for button in self.query_one(f"#{key}", RadioSet).query(RadioButton):
                if button.name == value:
                    button.value = True
        chosen = {*inputs.get("criteria", ()), *inputs.get("detection_sources", ())}
        for key in LISTS:
            selection = self.query_one(f"#{key}", SelectionList)
            for criterion in LISTS[key][1]:
                if criterion.id in chosen:
                    selection.select(criterion.id)

    def values(self) -> dict[str, Any]:
        """The form's raw values."""
        values: dict[str, Any] = {key: self.query_one(f"#{key}", Input).value
                                  for key in ("description", "scope", *NUMBERS)}
        for key in CHOICES:
            pressed = self.query_one(f"#{key}", RadioSet).pressed_button
            values[key] = pressed.name if pressed is not None else None
        for key in LISTS:
            values[key] = list(self.query_one(f"#{key}", SelectionList).selected)
        return values

    def current(self) -> tuple[Assessment | None, Recommendation | None, str]:
        """The assessment the form describes, its recommendation, or why there is none."""
        try:
            assessment = build_assessment(self.values())
        except (ValueError, TypeError) as exc:
            return None, None, str(exc)
        return assessment, recommend(assessment), ""

    @on(Input.Changed)
    @on(RadioSet.Changed)
    @on(SelectionList.SelectedChanged)
    def refresh_recommendation(self, *_: object) -> None:
        """Recompute as the operator types (pure and cheap)."""
        assessment, recommendation, problem = self.current()
        panel = self.query_one(RecommendationPanel)
        panel.problem = problem
        if assessment is not None:
            panel.pct, panel.severity = assessment.users_affected_pct, assessment.severity.value
        panel.recommendation = recommendation

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Recording needs a writable incident."""
        if action == "record":
            return self.writable
        return super().check_action(action, parameters)

    def action_record(self) -> None:
        """Journal the assessment with its recommendation, then go to the decision."""
        assessment, _, problem = self.current()
        if assessment is None:
            self.query_one("#assess-hint", Static).update(f"◌ not recorded: {problem}")
            self.app.bell()
            return
        session = self.session
        assert session is not None

        def recorded(_result: object) -> None:
            self.notify("assessment recorded", timeout=3)
            self.app.switch_mode("decide")

        self.app.run_in_session("record the assessment", lambda: session.assess(assessment),
                                recorded)


def selected_labels(ids: Iterable[str]) -> list[str]:
    """The labels of criterion ids (for the decision screen's summary)."""
    labels = {c.id: c.label for _, criteria in LISTS.values() for c in criteria}
    return [labels.get(i, i) for i in ids]
