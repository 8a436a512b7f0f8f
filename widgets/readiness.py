"""Readiness before a rollback: the RBAC pre-check as a ✓/✗ table, the automatic pre-rollback
checks (backups, the other side healthy), and the runbook's prerequisites."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.domain.checklist import ChecklistEntry
from widgets.text import CHECK_SYMBOL, inert


def rbac_table(rbac: Mapping[str, Any] | None, running: bool = False) -> RenderableType:
    """`✓ patch deployments.apps  production` per permission, or what is happening."""
    if rbac is None:
        return Text("◌ checking permissions…" if running else
                    "◌ permissions not checked yet (r re-checks)", style="dim")
    checks = rbac.get("checks") or []
    if not checks:
        return Text(f"✗ {inert(rbac.get('summary', 'the pre-check could not run'))}",
                    style="bold")
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, overflow="ellipsis")
    table.add_column(style="dim", no_wrap=True, overflow="ellipsis")
    for check in checks:
        allowed = bool(check.get("allowed"))
        table.add_row(Text("✓" if allowed else "✗", style="bold"),
                      Text(inert(check.get("permission", "")), style="" if allowed else "bold"),
                      Text("" if allowed else inert(check.get("reason", ""), 40)))
    head = Text(("✓ " if rbac.get("ok") else "✗ ") + inert(rbac.get("summary", "")),
                style="bold")
    return Group(head, table)


def gates_text(entries: Sequence[ChecklistEntry]) -> Text:
    """The automatic pre-rollback items with their marks and results."""
    text = Text()
    for entry in entries:
        text.append(f"{CHECK_SYMBOL[entry.status]} ", style="bold")
        text.append(inert(entry.text, 60))
        if entry.note:
            text.append(f" — {inert(entry.note, 70)}", style="dim")
        text.append("\n")
    text.rstrip()
    return text


def prerequisites_text(prerequisites: Mapping[str, Any]) -> Text:
    """The runbook's prerequisites, by kind (access, tools, team)."""
    text = Text()
    for kind, items in prerequisites.items():
        if not items:
            continue
        text.append(f"{inert(kind)}: ", style="bold")
        text.append("; ".join(inert(i, 80) for i in items) + "\n")
    text.rstrip()
    return text


class Readiness(Widget):
    """What must hold before the first change: permissions, automatic checks, prerequisites."""

    DEFAULT_CSS = """
    Readiness { height: auto; border: round $primary; padding: 0 1; }
    Readiness.-denied { border: round $error; }
    """

    rbac: reactive[Mapping[str, Any] | None] = reactive(None, layout=True)
    """The journaled RBAC pre-check (None: not run yet)."""
    checking: reactive[bool] = reactive(False)
    """A pre-check is running."""
    gates: reactive[tuple[ChecklistEntry, ...]] = reactive((), layout=True)
    """The automatic pre-rollback items."""
    prerequisites: reactive[Mapping[str, Any]] = reactive({}, layout=True)
    """The runbook's prerequisites."""

    def on_mount(self) -> None:
        """Title."""
        self.border_title = "Readiness"

    def watch_rbac(self, rbac: Mapping[str, Any] | None) -> None:
        """A denied permission turns the border to the error colour."""
        self.set_class(rbac is not None and not rbac.get("ok"), "-denied")

    def render(self) -> RenderableType:
        """Permissions, checks, prerequisites."""
        parts: list[RenderableType] = [rbac_table(self.rbac, self.checking)]
        if self.gates:
            parts.append(gates_text(self.gates))
        if self.prerequisites:
            parts.append(prerequisites_text(self.prerequisites))
        return Group(*parts)
