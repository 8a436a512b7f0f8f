"""A new incident for a runbook: its parameters (defaults filled in, the runbook's own
validation shown as you type), the cluster context and namespace, Prometheus, dry run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import yaml
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Footer, Input, Select, Static

from tui.domain.runbook import Runbook
from widgets.text import inert


def kube_contexts(kubeconfig: str | None, environ: Mapping[str, str]) -> tuple[list[str],
                                                                              str | None]:
    """The contexts of the kubeconfig kubectl would use, and its current one (no client)."""
    import os

    files = (kubeconfig or environ.get("KUBECONFIG") or
             str(Path.home() / ".kube" / "config")).split(os.pathsep)
    names: list[str] = []
    current = None
    for name in files:
        try:
            data = yaml.safe_load(Path(name).read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(data, dict):
            continue
        current = current or data.get("current-context")
        names += [str(c.get("name")) for c in data.get("contexts") or []
                  if isinstance(c, dict) and c.get("name")]
    return list(dict.fromkeys(names)), current


class NewIncidentScreen(ModalScreen[dict[str, Any] | None]):
    """Fill in the runbook's parameters and where to run it; ^r opens the incident."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start", "Open the incident", id="new_start", priority=True),
        Binding("escape", "cancel", "Cancel", id="new_cancel"),
    ]
    DEFAULT_CSS = """
    NewIncidentScreen { align: center middle; }
    NewIncidentScreen > VerticalScroll { width: 96%; max-width: 110; height: 94%;
        border: round $accent; background: $surface; padding: 0 1; }
    NewIncidentScreen Input { border: round $primary 60%; height: 3; }
    NewIncidentScreen #new-problems { color: $text-error; height: auto; }
    """

    def __init__(self, path: Path, settings: Any, environ: Mapping[str, str]) -> None:
        """The runbook at `path`; `settings` give the default context, namespace, Prometheus."""
        super().__init__()
        from tui.app.catalog import validate_file

        self.path, self.settings, self.environ = path, settings, environ
        result = validate_file(path)
        self.runbook: Runbook | None = result.runbook
        self.problems = "\n".join(result.messages()) if result.runbook is None else ""

    def compose(self) -> ComposeResult:
        """About, where, parameters, problems."""
        with VerticalScroll():
            runbook = self.runbook
            if runbook is None:
                yield Static(Text(inert(self.problems)), id="new-problems")
                return
            yield Static(Text.assemble((inert(runbook.title), "bold"), "\n",
                                       inert(runbook.description, 300)))
            contexts, current = kube_contexts(getattr(self.settings, "kubeconfig", None),
                                              self.environ)
            chosen = getattr(self.settings, "context", None) or current
            select = Select([(inert(c), c) for c in contexts], id="context",
                            prompt="cluster context", value=chosen if chosen in contexts
                            else Select.BLANK)
            select.border_title = "Cluster context"
            yield select
            namespace = Input(value=getattr(self.settings, "namespace", None) or "",
                              placeholder="the context's", id="namespace")
            namespace.border_title = "Namespace"
            yield namespace
            prometheus = Input(value=getattr(self.settings, "prometheus_url", None) or "",
                               placeholder="optional", id="prometheus")
            prometheus.border_title = "Prometheus URL"
            yield prometheus
            yield Checkbox("dry run: change nothing, show every call", id="dry-run")
            for parameter in runbook.parameters:
                if parameter.secret:
                    yield Static(Text(f"{parameter.name}: secret, read from "
                                      f"ROLLBACK_PARAM_{parameter.name.upper()}", style="dim"))
                    continue
                field = Input(value=parameter.default or "", id=f"param-{parameter.name}",
                              placeholder=inert(parameter.description))
                field.border_title = parameter.name + (" *" if parameter.required else "")
                yield field
            yield Static("", id="new-problems")
        yield Footer()

    def given(self) -> dict[str, str]:
        """The parameter values that differ from the runbook's defaults."""
        assert self.runbook is not None
        values = {}
        for parameter in self.runbook.parameters:
            if parameter.secret:
                continue
            value = self.query_one(f"#param-{parameter.name}", Input).value
            if value != (parameter.default or ""):
                values[parameter.name] = value
        return values

    def problem(self) -> str:
        """What the runbook's own validation says of the values, or ""."""
        if self.runbook is None:
            return self.problems
        try:
            self.runbook.resolve_parameters(self.given(), self.environ)
        except ValueError as exc:
            return str(exc)
        return ""

    @on(Input.Changed)
    def _validate(self) -> None:
        problem = self.problem()
        self.query_one("#new-problems", Static).update(Text(f"◌ {problem}" if problem else ""))

    def action_start(self) -> None:
        """Open the incident (the caller does it) with these values."""
        problem = self.problem()
        if problem:
            self.query_one("#new-problems", Static).update(Text(f"◌ not started: {problem}"))
            self.app.bell()
            return
        context = self.query_one("#context", Select).value
        self.dismiss({
            "params": self.given(),
            "context": context if isinstance(context, str) else None,
            "namespace": self.query_one("#namespace", Input).value.strip() or None,
            "prometheus_url": self.query_one("#prometheus", Input).value.strip() or None,
            "dry_run": self.query_one("#dry-run", Checkbox).value or None,
        })

    def action_cancel(self) -> None:
        """Back to the start screen."""
        self.dismiss(None)
