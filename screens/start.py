"""Start: one list to act from — open incidents to resume (age, holder), recent ones to read,
runbooks to open a new incident with, drills to practise — filtered as you type.

The first frame is cheap (folder and file names only); titles, states and holders are read
off the UI thread and filled in a moment later.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from screens.base import AppScreen
from widgets.text import inert

if TYPE_CHECKING:
    from tui.domain.runbook import Runbook
    from tui.drill.scenario import CatalogEntry

SECTIONS = (("incident", "Open incidents — Enter resumes, f follows read-only"),
            ("closed", "Recent incidents — Enter reads, p post-incident record, d drill debrief"),
            ("runbook", "New incident — pick a runbook (or type a path to one)"),
            ("drill", "Drills — practise on a simulated cluster"))


@dataclass(frozen=True)
class Entry:
    """One thing the start screen offers."""

    kind: str
    key: str
    label: str
    detail: str = ""
    held: bool = False
    late: bool = False  # a closed incident's report or postmortem is overdue
    drill: bool = False  # the incident is a practice drill (a closed one has a debrief)
    problem: str = ""  # why this entry cannot be opened (an invalid user scenario)

    @property
    def option_id(self) -> str:
        """`kind:key`."""
        return f"{self.kind}:{self.key}"


def human_age(seconds: float) -> str:
    """`12m`, `3h`, `2d`."""
    from tui.domain.pods import human_duration

    return human_duration(seconds)


def entry_text(entry: Entry) -> Text:
    """`20261130-041207-revert-deployment  ● held by pid 4242  Revert …` (inert)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"  {inert(entry.label, 36):<36} ", style="bold" if entry.kind in (
        "incident", "runbook") else "")
    if entry.detail:
        text.append(inert(entry.detail, 120), style="bold" if entry.late else
                    "" if entry.held else "dim")
    return text


def quick_entries(paths: Any) -> list[Entry]:
    """What can be listed without parsing anything (folder and file names)."""
    from tui.app.catalog import catalog
    from tui.drill.scenario import scenario_files

    entries = []
    if paths is not None and Path(paths.incidents_dir).is_dir():
        for folder in sorted(Path(paths.incidents_dir).iterdir(), reverse=True)[:50]:
            if (folder / "journal.jsonl").is_file():
                entries.append(Entry("incident", folder.name, folder.name, "…"))
        entries += [Entry("runbook", str(e.path), e.path.stem, e.origin)
                    for e in catalog(paths)]
    user = scenario_files(Path(paths.scenarios_dir)) if paths is not None else []
    stems = sorted({p.stem for p in [*user, *scenario_files()]})
    entries += [Entry("drill", stem, stem) for stem in stems]
    return entries


def full_entries(paths: Any, now: float) -> tuple[list[Entry], dict[str, Any]]:
    """Everything with its details (replays journals, validates runbooks: slow-ish)."""
    from tui.adapters.journal import list_incidents
    from tui.adapters.journal_tail import writer_status
    from tui.app.catalog import catalog, validate_file
    from tui.drill.scenario import scenario_catalog

    entries: list[Entry] = []
    runbooks: dict[str, Any] = {}
    if paths is not None:
        for summary in list_incidents(paths.incidents_dir)[:50]:
            state, holder = summary.state, writer_status(summary.path)
            age = ""
            if state.opened_at:
                age = human_age(now - datetime.fromisoformat(state.opened_at).timestamp())
            closed = str(state.status) != "open"
            who = (f"● {holder.describe()}" if holder.alive else
                   (f"{state.rollback_status or 'resolved'}" if closed else "○ nobody holds it"))
            due, late = _post_incident(state, now)
            detail = f"{age:>4}  {who}  {due}{state.title}" + (" [drill]" if state.drill else "")
            entries.append(Entry("closed" if closed else "incident", summary.incident_id,
                                 summary.incident_id, detail, bool(holder.alive), late,
                                 bool(state.drill)))
        for item in catalog(paths):
            result = validate_file(item.path)
            if result.runbook is None:
                entries.append(Entry("runbook", str(item.path), item.path.stem,
                                     f"INVALID: {len(result.problems)} problem(s)"))
                continue
            runbooks[str(item.path)] = result.runbook
            entries.append(Entry("runbook", str(item.path), result.runbook.id,
                                 f"{result.runbook.title} ({item.origin})"))
    for item in scenario_catalog(Path(paths.scenarios_dir) if paths is not None else None):
        entries.append(drill_entry(item))
    return entries, runbooks


def drill_entry(item: CatalogEntry) -> Entry:
    """A scenario of the catalog: a user one says so; an invalid one shows its first problem
    and cannot be started."""
    if item.scenario is None:
        problem = item.problems[0] if item.problems else f"{item.path}: unreadable"
        return Entry("drill", item.id, item.id, f"INVALID: {problem}", problem=problem)
    origin = (" (user, replaces the built-in)" if item.overrides else
              " (user)" if item.origin == "user" else "")
    return Entry("drill", item.id, item.id, item.description + origin)


def _post_incident(state: Any, now: float) -> tuple[str, bool]:
    """`report due in 5h · postmortem due in 29h  ` for a resolved incident with work left
    (OVERDUE when late), and whether anything is late."""
    from tui.domain.postmortem import DueState, deadline_line, state_deadlines

    if not state.resolved_at:
        return "", False
    moment = datetime.fromtimestamp(now, UTC)
    due = state_deadlines(state, moment)
    if all(d.state is DueState.DONE for d in due):
        return "", False
    return f"{deadline_line(due, moment)}  ", any(d.late for d in due)


class StartScreen(AppScreen):
    """Resume, start, or practise."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "follow", "Follow read-only", id="start_follow"),
        Binding("p", "post_incident", "Postmortem", id="start_post_incident"),
        # The closed incidents' title names `d`; at 80 columns the footer has no room for it.
        Binding("d", "debrief", "Debrief", id="start_debrief", show=False),
        Binding("slash", "search", "Search", id="start_search"),
        Binding("question_mark,f1", "app.help", "Help", id="start_help"),
        Binding("q", "app.quit_safely", "Quit", id="start_quit"),
    ]
    DEFAULT_CSS = """
    StartScreen #start-title { height: 1; padding: 0 1; background: $panel; }
    StartScreen #start-search { border: round $primary 60%; height: 3; }
    StartScreen #start-menu { height: 1fr; }
    StartScreen #start-about { height: auto; max-height: 6; padding: 0 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        """Nothing is read until the first frame is up."""
        super().__init__()
        self.entries: list[Entry] = []
        self.runbooks: dict[str, Runbook] = {}

    def compose(self) -> ComposeResult:
        """Title, search, the list, details of the highlighted entry."""
        yield Static(Text.assemble(("rollback-tui", "bold"), " — assessment → decision → "
                                   "execution → verification, every action journaled"),
                     id="start-title")
        yield Input(placeholder="/ search — or a path to a runbook file", id="start-search")
        yield OptionList(id="start-menu")
        yield Static("", id="start-about")
        yield Footer()

    def on_mount(self) -> None:
        """The cheap list now; the details from a thread."""
        self.entries = quick_entries(self.rollback_app.context.paths)
        self._show("")
        self.query_one("#start-menu", OptionList).focus()
        # After the first frame: the reading thread would otherwise compete with it.
        self.call_after_refresh(self.run_worker, self._read, thread=True, exit_on_error=False,
                                name="read incidents")

    def _read(self) -> None:
        entries, runbooks = full_entries(self.rollback_app.context.paths,
                                         self.rollback_app.context.clock())
        self.app.call_from_thread(self._filled, entries, runbooks)

    def _filled(self, entries: list[Entry], runbooks: dict[str, Runbook]) -> None:
        self.entries, self.runbooks = entries, runbooks
        self._show(self.query_one("#start-search", Input).value)

    def _show(self, needle: str) -> None:
        """The entries matching the search, by section."""
        menu = self.query_one("#start-menu", OptionList)
        highlighted = menu.highlighted_option.id if menu.highlighted_option else None
        words = needle.lower().split()
        options: list[Option] = []
        for kind, title in SECTIONS:
            shown = [e for e in self.entries if e.kind == kind and all(
                w in f"{e.label} {e.detail}".lower() for w in words)]
            if not shown:
                continue
            options.append(Option(Text(title, style="bold underline"), disabled=True))
            options += [Option(entry_text(e), id=e.option_id) for e in shown]
        menu.set_options(options)
        ids = [o.id for o in options]
        if highlighted is not None and highlighted in ids:  # headers have no id
            menu.highlighted = ids.index(highlighted)
        elif menu.option_count:
            menu.highlighted = next((i for i, o in enumerate(options) if not o.disabled), None)

    def _entry(self, option_id: str | None) -> Entry | None:
        return next((e for e in self.entries if e.option_id == option_id), None)

    @on(Input.Changed, "#start-search")
    def _search(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(Input.Submitted, "#start-search")
    def _submitted(self, event: Input.Submitted) -> None:
        path = Path(event.value).expanduser()
        if path.suffix in (".yaml", ".yml") and path.is_file():
            self._new_incident(path)
            return
        self.query_one("#start-menu", OptionList).focus()

    def action_search(self) -> None:
        """Type to filter the list."""
        self.query_one("#start-search", Input).focus()

    @on(OptionList.OptionHighlighted, "#start-menu")
    def _about(self, event: OptionList.OptionHighlighted) -> None:
        entry = self._entry(event.option.id)
        about = ""
        if entry is not None and entry.kind == "runbook" and entry.key in self.runbooks:
            runbook = self.runbooks[entry.key]
            estimate = runbook.estimated_time
            about = (f"{runbook.title}\n{runbook.strategy} · expected {estimate.get('expected')}"
                     f" (best {estimate.get('best')}, worst {estimate.get('worst')}) · "
                     f"{len(runbook.steps)} steps · {runbook.description}")
        elif entry is not None:
            about = entry.detail
        self.query_one("#start-about", Static).update(Text(inert(about)))
        self.refresh_bindings()  # `p` applies to a closed incident only

    @on(OptionList.OptionSelected, "#start-menu")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        entry = self._entry(event.option.id)
        if entry is None:
            return
        if entry.kind == "incident" and not entry.held:
            self._open(lambda opener: opener.resume(entry.key), f"resume {entry.key}")
        elif entry.kind in ("incident", "closed"):
            self._open(lambda opener: opener.follow(entry.key), f"follow {entry.key}")
        elif entry.kind == "runbook":
            self._new_incident(Path(entry.key))
        elif entry.kind == "drill" and entry.problem:
            self.notify(f"the {entry.key} drill cannot start: {entry.problem} — fix the file "
                        "or see every problem with `rollback drill --list`", severity="error",
                        timeout=10)
        elif entry.kind == "drill":
            self._drill(entry.key)

    def action_follow(self) -> None:
        """Follow the highlighted incident read-only."""
        entry = self._highlighted()
        if entry is not None and entry.kind in ("incident", "closed"):
            self._open(lambda opener: opener.follow(entry.key), f"follow {entry.key}")

    def _highlighted(self) -> Entry | None:
        option = self.query_one("#start-menu", OptionList).highlighted_option
        return self._entry(option.id if option else None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The post-incident record is offered on a closed incident."""
        if action in ("post_incident", "debrief"):
            entry = self._highlighted()
            return entry is not None and entry.kind == "closed" and (
                action == "post_incident" or entry.drill)
        return True

    def action_post_incident(self) -> None:
        """Write the highlighted closed incident's post-incident record (five whys, causes,
        lessons, action items, re-release criteria)."""
        entry = self._highlighted()
        if entry is None or entry.kind != "closed":
            return

        def show(session: Any) -> None:
            from screens.postmortem import PostmortemScreen

            self.rollback_app.attach(session)
            self.app.push_screen(PostmortemScreen())

        self._open(lambda opener: opener.post_incident(entry.key),
                   f"open {entry.key}'s post-incident record", show)

    def action_debrief(self) -> None:
        """The highlighted finished drill's debrief (its score, anti-patterns, ground truth)."""
        entry = self._highlighted()
        if entry is None or entry.kind != "closed" or not entry.drill:
            return

        def show(session: Any) -> None:
            from screens.debrief import open_debrief

            self.rollback_app.attach(session)
            open_debrief(self.rollback_app)

        self._open(lambda opener: opener.post_incident(entry.key),
                   f"open {entry.key}'s debrief", show)

    # ---- opening -----------------------------------------------------------------------------
    def _new_incident(self, path: Path) -> None:
        from screens.new_incident import NewIncidentScreen

        opener = self.rollback_app.context.opener
        settings = opener.settings if opener is not None else None

        def start(chosen: dict[str, Any] | None) -> None:
            if chosen is not None:
                self._open(lambda o: o.new(path, chosen.pop("params"), **chosen),
                           f"open an incident with {path.stem}")

        self.app.push_screen(NewIncidentScreen(path, settings, dict(os.environ)), start)

    def _drill(self, scenario: str) -> None:
        from screens.text_entry import TextEntryScreen

        def start(speed: str | None) -> None:
            if speed is None:
                return
            try:
                factor = max(float(speed or "1"), 0.1)
            except ValueError:
                self.notify(f"speed {speed!r} is not a number", severity="error")
                return

            def begin(opener: Any) -> Any:
                session, handle = opener.drill(scenario, speed=factor)
                self.rollback_app.context.drill = handle
                return session

            self._open(begin, f"start the {scenario} drill")

        self.app.push_screen(TextEntryScreen(f"Drill {scenario}", "Speed (1 = real time, 20 = "
                                             "twenty times faster):", value="1"), start)

    def _open(self, make: Any, label: str,
              done: Callable[[Any], None] | None = None) -> None:
        opener = self.rollback_app.context.opener
        if opener is None:
            self.notify("this app cannot open incidents", severity="error")
            return
        self.notify(f"{label}…", timeout=3)
        self.rollback_app.run_in_session(label, lambda: make(opener),
                                         done or self.rollback_app.attach)
