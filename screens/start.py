"""Start: open incidents to resume (age, holder) and recent ones, a new incident (runbook picker
with search, parameters with the runbook's own validation, cluster context and namespace,
Prometheus), or a drill (scenarios with one-line descriptions)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import yaml
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Checkbox,
    Footer,
    Input,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from tui.domain.pods import human_duration
from tui.domain.runbook import Runbook
from widgets.text import inert

if TYPE_CHECKING:
    from tui.app.application import RollbackApp


@dataclass(frozen=True)
class IncidentRow:
    """One incident on the start screen."""

    incident_id: str
    title: str
    status: str
    opened_at: str | None
    holder: str
    held: bool
    drill: bool


def incident_text(row: IncidentRow, now: float) -> Text:
    """`20261130-041207-revert-deployment  12m  held by pid 4242 on laptop  Revert …`."""
    from datetime import datetime

    age = ""
    if row.opened_at:
        age = human_duration(now - datetime.fromisoformat(row.opened_at).timestamp())
    text = Text()
    text.append(f"{inert(row.incident_id, 40):<40} ", style="bold")
    text.append(f"{age:>5}  ")
    text.append(("● " + inert(row.holder, 30)) if row.held else "○ nobody holds it",
                style="bold" if row.held else "dim")
    text.append(f"  {inert(row.title, 50)}" + (" [drill]" if row.drill else ""))
    return text


def kube_contexts(kubeconfig: str | None) -> tuple[list[str], str | None]:
    """The contexts of the kubeconfig kubectl would use, and its current context (no client)."""
    files = (kubeconfig or os.environ.get("KUBECONFIG") or
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


class StartScreen(Screen[None]):
    """Resume, start, or practise."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start", "Start", id="start_go", priority=True),
        Binding("f", "follow", "Follow read-only", id="start_follow"),
        Binding("question_mark,f1", "app.help", "Help", id="start_help"),
        Binding("q", "app.quit", "Quit", id="start_quit"),
    ]
    DEFAULT_CSS = """
    StartScreen OptionList { height: 1fr; }
    StartScreen #new-form { height: 1fr; }
    StartScreen .hint { color: $text-muted; }
    StartScreen #problems { color: $error; }
    """

    def __init__(self) -> None:
        """Nothing is read until mounted."""
        super().__init__()
        self.rows: list[IncidentRow] = []
        self.runbooks: list[tuple[Path, Runbook]] = []
        self.scenarios: list[tuple[str, str]] = []

    @property
    def rollback_app(self) -> RollbackApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        """Three tabs: incidents, new incident, drill."""
        yield Static(Text("rollback-tui", style="bold") + Text(
            " — assessment → decision → execution → verification, every action journaled"),
            id="start-title")
        with TabbedContent(id="start-tabs"):
            with TabPane("Incidents", id="tab-incidents"):
                yield Static("Open incidents — Enter resumes (f follows read-only)",
                             classes="hint")
                yield OptionList(id="incidents")
            with TabPane("New incident", id="tab-new"), Horizontal():
                with Vertical():
                    yield Input(placeholder="search runbooks (or a path to a file)",
                                id="runbook-search")
                    yield OptionList(id="runbooks")
                with VerticalScroll(id="new-form"):
                    yield Static("", id="runbook-about")
                    yield Select([], id="context", prompt="cluster context")
                    yield Input(placeholder="namespace (default: the context's)",
                                id="namespace")
                    yield Input(placeholder="Prometheus URL (optional)", id="prometheus")
                    yield Checkbox("dry run: change nothing, show every call",
                                   id="dry-run")
                    yield Vertical(id="params")
                    yield Static("", id="problems")
            with TabPane("Drill", id="tab-drill"):
                yield Static("Practise on a simulated cluster — Enter starts the drill",
                             classes="hint")
                yield OptionList(id="scenarios")
                yield Input(value="1", placeholder="speed (1 = real time)", id="speed")
        yield Footer()

    def on_mount(self) -> None:
        """Read incidents, runbooks, scenarios and kubeconfig contexts."""
        self._load_incidents()
        self._load_runbooks()
        self._load_scenarios()
        opener = self.rollback_app.context.opener
        settings = opener.settings if opener is not None else None
        contexts, current = kube_contexts(getattr(settings, "kubeconfig", None))
        select = self.query_one("#context", Select)
        select.set_options([(inert(c), c) for c in contexts])
        chosen = getattr(settings, "context", None) or current
        if chosen in contexts:
            select.value = chosen
        self.query_one("#prometheus", Input).value = getattr(settings, "prometheus_url",
                                                             None) or ""
        if not self.rows:
            self.query_one(TabbedContent).active = "tab-new"

    # ---- incidents ---------------------------------------------------------------------------
    def _load_incidents(self) -> None:
        from tui.adapters.journal import list_incidents
        from tui.adapters.journal_tail import writer_status

        paths = self.rollback_app.context.paths
        if paths is None:
            return
        self.rows = []
        for summary in list_incidents(paths.incidents_dir)[:50]:
            status = writer_status(summary.path)
            self.rows.append(IncidentRow(summary.incident_id, summary.state.title,
                                         str(summary.state.status), summary.state.opened_at,
                                         status.describe(), bool(status.alive),
                                         summary.state.drill))
        now = self.rollback_app.context.clock()
        listing = self.query_one("#incidents", OptionList)
        listing.clear_options()
        open_rows = [r for r in self.rows if r.status == "open"]
        closed = [r for r in self.rows if r.status != "open"][:10]
        listing.add_options([Option(incident_text(r, now), id=r.incident_id)
                             for r in open_rows])
        if closed:
            listing.add_option(Option(Text("— recent, closed (Enter shows read-only) —",
                                           style="dim"), disabled=True))
            listing.add_options([Option(incident_text(r, now), id=r.incident_id)
                                 for r in closed])

    @on(OptionList.OptionSelected, "#incidents")
    def _incident_chosen(self, event: OptionList.OptionSelected) -> None:
        row = next((r for r in self.rows if r.incident_id == event.option.id), None)
        if row is None:
            return
        if row.status != "open" or row.held:
            self._open(lambda opener: opener.follow(row.incident_id), f"follow {row.incident_id}")
        else:
            self._open(lambda opener: opener.resume(row.incident_id),
                       f"resume {row.incident_id}")

    def action_follow(self) -> None:
        """Follow the highlighted incident read-only."""
        listing = self.query_one("#incidents", OptionList)
        if listing.highlighted is None:
            return
        option = listing.get_option_at_index(listing.highlighted)
        if option.id:
            self._open(lambda opener: opener.follow(option.id), f"follow {option.id}")

    # ---- new incident ------------------------------------------------------------------------
    def _load_runbooks(self) -> None:
        from tui.app.catalog import catalog, validate_file

        paths = self.rollback_app.context.paths
        if paths is None:
            return
        self.runbooks = []
        for entry in catalog(paths):
            result = validate_file(entry.path)
            if result.runbook is not None:
                self.runbooks.append((entry.path, result.runbook))
        self._filter_runbooks("")

    def _filter_runbooks(self, text: str) -> None:
        needle = text.strip().lower()
        listing = self.query_one("#runbooks", OptionList)
        listing.clear_options()
        for path, runbook in self.runbooks:
            haystack = f"{runbook.id} {runbook.title} {runbook.strategy}".lower()
            if needle and needle not in haystack:
                continue
            listing.add_option(Option(Text.assemble((inert(runbook.id), "bold"), "  ",
                                                    inert(runbook.title, 60)), id=str(path)))

    @on(Input.Changed, "#runbook-search")
    def _search(self, event: Input.Changed) -> None:
        self._filter_runbooks(event.value)

    @on(Input.Submitted, "#runbook-search")
    def _path_given(self, event: Input.Submitted) -> None:
        from tui.app.catalog import validate_file

        path = Path(event.value).expanduser()
        if path.is_file():
            result = validate_file(path)
            if result.runbook is None:
                self.query_one("#problems", Static).update(
                    Text("\n".join(result.messages())))
                return
            self.runbooks.insert(0, (path, result.runbook))
            self._filter_runbooks("")
            self._choose(path)

    @on(OptionList.OptionHighlighted, "#runbooks")
    @on(OptionList.OptionSelected, "#runbooks")
    def _runbook_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._choose(Path(event.option.id))

    def _choose(self, path: Path) -> None:
        runbook = next((r for p, r in self.runbooks if p == path), None)
        if runbook is None:
            return
        self.chosen = path, runbook
        about = Text()
        about.append(inert(runbook.title) + "\n", style="bold")
        about.append(f"{inert(runbook.strategy)} · expected {runbook.estimated_time.get('expected')}"
                     f" (best {runbook.estimated_time.get('best')}, worst "
                     f"{runbook.estimated_time.get('worst')}) · {len(runbook.steps)} steps")
        self.query_one("#runbook-about", Static).update(about)
        params = self.query_one("#params", Vertical)
        params.remove_children()
        fields = []
        for parameter in runbook.parameters:
            if parameter.secret:
                fields.append(Static(Text(f"{parameter.name}: secret, from "
                                          f"ROLLBACK_PARAM_{parameter.name.upper()}",
                                          style="dim")))
                continue
            field = Input(value=parameter.default or "", id=f"param-{parameter.name}",
                          placeholder=inert(parameter.description))
            field.border_title = parameter.name + (" *" if parameter.required else "")
            fields.append(field)
        params.mount_all(fields)

    chosen: tuple[Path, Runbook] | None = None

    def _given(self) -> dict[str, str]:
        if self.chosen is None:
            return {}
        _, runbook = self.chosen
        values = {}
        for parameter in runbook.parameters:
            if parameter.secret:
                continue
            value = self.query_one(f"#param-{parameter.name}", Input).value
            if value != (parameter.default or ""):
                values[parameter.name] = value
        return values

    def _problems(self) -> str:
        if self.chosen is None:
            return "choose a runbook"
        _, runbook = self.chosen
        try:
            runbook.resolve_parameters(self._given(), os.environ)
        except ValueError as exc:
            return str(exc)
        return ""

    @on(Input.Changed, "#params Input")
    def _validate(self) -> None:
        problem = self._problems()
        self.query_one("#problems", Static).update(Text(f"◌ {problem}" if problem else ""))

    # ---- drills ------------------------------------------------------------------------------
    def _load_scenarios(self) -> None:
        from tui.drill.scenario import ScenarioError, load_scenario_bytes, scenario_files

        self.scenarios = []
        for path in scenario_files():
            try:
                scenario = load_scenario_bytes(path.read_bytes(), str(path))
            except ScenarioError:
                continue
            self.scenarios.append((scenario.id, scenario.description))
        listing = self.query_one("#scenarios", OptionList)
        listing.add_options([Option(Text.assemble((f"{sid:<16}", "bold"), inert(text, 90)),
                                    id=sid) for sid, text in self.scenarios])

    @on(OptionList.OptionSelected, "#scenarios")
    def _drill(self, event: OptionList.OptionSelected) -> None:
        try:
            speed = float(self.query_one("#speed", Input).value or "1")
        except ValueError:
            self.notify("speed must be a number", severity="error")
            return
        scenario = event.option.id or "bad-release"

        def start(opener: Any) -> Any:
            session, handle = opener.drill(scenario, speed=max(speed, 0.1))
            self.rollback_app.context.drill = handle
            return session

        self._open(start, f"start the {scenario} drill")

    # ---- opening -----------------------------------------------------------------------------
    def action_start(self) -> None:
        """Open the new incident described in the form."""
        tabs = self.query_one(TabbedContent)
        if tabs.active != "tab-new":
            return
        problem = self._problems()
        if problem:
            self.query_one("#problems", Static).update(Text(f"◌ not started: {problem}"))
            self.app.bell()
            return
        assert self.chosen is not None
        path, _ = self.chosen
        given = self._given()
        context = self.query_one("#context", Select).value
        namespace = self.query_one("#namespace", Input).value.strip() or None
        prometheus = self.query_one("#prometheus", Input).value.strip() or None
        dry = self.query_one("#dry-run", Checkbox).value
        self._open(lambda opener: opener.new(
            path, given, context=context if isinstance(context, str) else None,
            namespace=namespace, prometheus_url=prometheus, dry_run=dry or None),
            f"open an incident with {path.stem}")

    def _open(self, make: Any, label: str) -> None:
        opener = self.rollback_app.context.opener
        if opener is None:
            self.notify("this app cannot open incidents", severity="error")
            return
        self.notify(f"{label}…", timeout=3)
        self.rollback_app.run_in_session(label, lambda: make(opener),
                                         self.rollback_app.attach)

