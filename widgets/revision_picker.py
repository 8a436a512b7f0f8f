"""The rollback target: the Deployment's revisions (the proposed one marked), and what rolling
back to the highlighted one would change against the live template."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.domain.target import RevisionFacts
from widgets.text import inert


@dataclass(frozen=True)
class RevisionRow:
    """One revision as the picker shows it."""

    facts: RevisionFacts
    created: str = ""


def revision_text(row: RevisionRow, *, proposed: bool, chosen: bool) -> Text:
    """`▶ rev 2  2.3.1  deploy checkout 2.3.1   ← proposed target`."""
    facts = row.facts
    text = Text()
    text.append("● " if chosen else "  ", style="bold")
    text.append(f"rev {facts.number:<3} ", style="bold" if chosen else "")
    text.append(f"{inert(facts.version or '?', 12):<12} ")
    text.append(inert(facts.change_cause or ", ".join(facts.images), 48))
    if facts.current:
        text.append("  (live)", style="bold")
    if proposed:
        text.append("  ← proposed", style="italic")
    return text


class RevisionPicker(OptionList):
    """Pick the revision to roll back to; Enter chooses the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Choose this revision", id="revision_choose"),
    ]

    class Chosen(Message):
        """The operator picked a target revision."""

        def __init__(self, picker: RevisionPicker, deployment: str, revision: int) -> None:
            """Which Deployment, which revision."""
            super().__init__()
            self.picker, self.deployment, self.revision = picker, deployment, revision

    class Highlighted(Message):
        """The highlighted revision changed (the screen shows its diff)."""

        def __init__(self, picker: RevisionPicker, deployment: str, revision: int) -> None:
            """Which Deployment, which revision."""
            super().__init__()
            self.picker, self.deployment, self.revision = picker, deployment, revision

    chosen: reactive[int | None] = reactive(None)
    """The revision picked (None: the proposed one)."""

    def __init__(self, deployment: str, **kwargs: object) -> None:
        """A picker for one Deployment's history."""
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.deployment = deployment
        self.rows: list[RevisionRow] = []
        self.proposed: int | None = None

    def show(self, rows: Sequence[RevisionRow], proposed: int | None) -> None:
        """Fill with the history (newest first) and highlight the proposed target."""
        self.rows = sorted(rows, key=lambda r: -r.facts.number)
        self.proposed = proposed
        self._rebuild()
        for index, row in enumerate(self.rows):
            if row.facts.number == (self.chosen or proposed):
                self.highlighted = index

    def _rebuild(self) -> None:
        chosen = self.chosen or self.proposed
        highlighted = self.highlighted
        self.clear_options()
        self.add_options([Option(revision_text(r, proposed=r.facts.number == self.proposed,
                                               chosen=r.facts.number == chosen),
                                 id=str(r.facts.number)) for r in self.rows])
        if highlighted is not None and self.rows:
            self.highlighted = min(highlighted, len(self.rows) - 1)

    def watch_chosen(self) -> None:
        """Redraw the marks."""
        if self.rows:
            self._rebuild()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Tell the screen which revision to diff."""
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Highlighted(self, self.deployment, int(event.option.id)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter (or a click) picks it."""
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        """Choose the highlighted revision as the target."""
        if self.highlighted is None or not self.rows:
            return
        revision = self.rows[self.highlighted].facts.number
        self.chosen = revision
        self.post_message(self.Chosen(self, self.deployment, revision))
