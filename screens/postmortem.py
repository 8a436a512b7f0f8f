"""After the rollback: the post-incident record — the report's written parts, five whys ending
in the root cause, fishbone causes, lessons learned, action items with owners and due dates,
prevention (the seed's common improvements as ticks), the re-release criteria — with the
report (24 h) and postmortem (48 h) deadlines on top. Every change is journaled through the
session in a worker; the form shows what the journal says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import (
    Footer,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
    Tabs,
    TextArea,
)
from textual.widgets.selection_list import Selection

from screens.base import AppScreen, context_info
from tui.domain import postmortem as pm
from widgets.action_items import ActionItems
from widgets.choice import TickList
from widgets.context_bar import ContextBar
from widgets.line_list import LineList
from widgets.postmortem_summary import header_text, summary_rows, summary_table
from widgets.text import inert

if TYPE_CHECKING:
    from tui.domain.incident import IncidentState
    from tui.session.session import IncidentSession

WIDE = 100  # columns from which the tabs have room for their counts
COMMON_MEASURES = (*pm.PROCESS_IMPROVEMENTS, *pm.TECHNICAL_IMPROVEMENTS)
TAB_COUNTS = {"tab-whys": ("Whys", lambda r: len(r.get("five_whys") or ())),
              "tab-fishbone": ("Fishbone", lambda r: sum(
                  len(v or ()) for v in (r.get("fishbone") or {}).values())),
              "tab-lessons": ("Lessons", lambda r: len(r.get("went_well") or ())
                              + len(r.get("to_improve") or ())),
              "tab-actions": ("Actions", lambda r: len(r.get("action_items") or ())),
              "tab-prevention": ("Prevention", lambda r: len(r.get("prevention") or ())),
              "tab-re-release": ("Re-release", pm.criteria_met)}


def _pane() -> VerticalScroll:
    """A tab's scrolling body; Tab goes straight to its fields (a focusable container would
    take the keys meant for them, `t` opening the timeline)."""
    return VerticalScroll(can_focus=False)


class PostmortemScreen(AppScreen):
    """The post-incident record of the app's incident."""

    CSS_PATH = "postmortem.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="postmortem_back"),
        Binding("ctrl+r", "complete", "Mark complete", id="postmortem_complete",
                priority=True),
        Binding("t", "timeline", "Timeline", id="postmortem_timeline"),
    ]

    @property
    def writable(self) -> bool:
        """Whether this app may write the record (not a follower)."""
        return self.session is not None and not self.session.read_only

    def now(self) -> datetime:
        """The app's clock as a datetime (injected in tests)."""
        return datetime.fromtimestamp(self.rollback_app.context.clock(), UTC)

    # ---- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Context bar, deadlines, the record in tabs, footer."""
        context, locked = self.rollback_app.context, not self.writable
        after = self.session.runbook.post_rollback if self.session is not None else ()
        yield ContextBar(clock=context.clock, production_pattern=context.production_pattern,
                         id="context-bar")
        yield Static(id="pm-header")
        with TabbedContent(id="pm-tabs"):
            with TabPane("Summary", id="tab-summary"), _pane():
                yield Static(id="pm-summary")
                yield Static("← → on the tab bar: section · Tab: its fields · Esc: back to "
                             "the checklist", id="pm-keys", classes="hint")
                yield self._ticks("pm-post-rollback", "Post-rollback actions",
                                  [(item.item, item.id) for item in after], locked)
            with TabPane("Report", id="tab-report"), _pane():
                for key, prompt in pm.TEXT_SECTIONS.items():
                    area = TextArea(id=f"text-{key}", classes="pm-text", read_only=locked,
                                    placeholder=prompt)
                    area.border_title = key.replace("_", " ").capitalize()
                    yield area
            with TabPane("Whys", id="tab-whys"), _pane():
                yield Static(id="pm-problem", classes="hint")
                yield LineList("five_whys", title="Five whys — answer “Why?” until the root "
                               "cause", placeholder="Why? (Enter adds the next answer)",
                               read_only=locked)
                yield Static(id="pm-root-cause")
            with TabPane("Fishbone", id="tab-fishbone"), _pane():
                for key, about in pm.FISHBONE_CATEGORIES.items():
                    yield LineList(f"fishbone:{key}", title=f"{key.capitalize()} — {about}",
                                   placeholder="a cause (Enter adds)", read_only=locked)
            with TabPane("Lessons", id="tab-lessons"), _pane():
                for key, title in pm.LESSON_KINDS.items():
                    yield LineList(key, title=title, placeholder="a lesson (Enter adds)",
                                   read_only=locked)
            with TabPane("Actions", id="tab-actions"), _pane():
                yield ActionItems(clock=context.clock, read_only=locked, id="pm-actions")
            with TabPane("Prevention", id="tab-prevention"), _pane():
                yield self._ticks("pm-measures", "Common improvements (space ticks)",
                                  [(m, m) for m in COMMON_MEASURES], locked)
                yield LineList("prevention", title="Our own measures",
                               placeholder="another measure (Enter adds)", read_only=locked)
            with TabPane("Re-release", id="tab-re-release"), _pane():
                yield self._ticks("pm-criteria",
                                  "Before re-attempting the release (space ticks)",
                                  [(text, key) for key, text in pm.RE_RELEASE_CRITERIA], locked)
        yield Footer()

    @staticmethod
    def _ticks(widget_id: str, title: str, options: Any, locked: bool) -> TickList:
        ticks = TickList(*(Selection(label, value) for label, value in options), id=widget_id,
                         disabled=locked)
        ticks.border_title = title
        return ticks

    def on_mount(self) -> None:
        """Fill from the journal and follow it; the deadlines move with the clock."""
        self.watch(self.rollback_app, "incident", self._incident, init=True)
        self.set_interval(30, self._deadlines)
        for area in self.query(TextArea):
            area.cursor_blink = False
        # Explicitly: auto-focus is skipped while the terminal window is not focused.
        self.query_one("#pm-tabs Tabs", Tabs).focus()

    # ---- the journal → the form --------------------------------------------------------------
    def _incident(self, _state: object) -> None:
        session = self.session
        if session is None:
            return
        state = session.snapshot()
        holder = self.rollback_app.holder if session.read_only else None
        self.query_one(ContextBar).info = context_info(session, session.phase(), holder)
        self._deadlines(state)
        record = state.postmortem
        for key in pm.TEXT_SECTIONS:
            area = self.query_one(f"#text-{key}", TextArea)
            value = str(record.get(key) or "")
            if not area.has_focus and area.text.strip() != value:
                area.load_text(value)
        self._whys(record)
        bones = record.get("fishbone") or {}
        for key in pm.FISHBONE_CATEGORIES:
            self._list(f"fishbone:{key}").rows = tuple(("•", c) for c in bones.get(key) or ())
        for key in pm.LESSON_KINDS:
            self._list(key).rows = tuple(("•", line) for line in record.get(key) or ())
        self.query_one(ActionItems).items = tuple(pm.action_items(record))
        measures = list(record.get("prevention") or ())
        self._list("prevention").rows = tuple(("•", m) for m in measures
                                              if m not in COMMON_MEASURES)
        self._select("#pm-measures", set(measures))
        ticks = record.get("re_release") or {}
        self._select("#pm-criteria", {k for k, v in ticks.items() if v})
        self.query_one("#pm-criteria", TickList).border_subtitle = \
            f"{pm.criteria_met(record)} of {len(pm.RE_RELEASE_CRITERIA)} met"
        self._select("#pm-post-rollback", {k for k, v in state.checks.items() if v == "pass"})
        self._label_tabs(record)

    def _label_tabs(self, record: dict[str, Any]) -> None:
        """`Whys 3`: how many entries each tab holds (wide terminals; narrow ones have no
        room, the summary says it)."""
        tabs, wide = self.query_one(TabbedContent), self.size.width >= WIDE
        for pane, (label, count) in TAB_COUNTS.items():
            tabs.get_tab(pane).label = f"{label} {count(record)}" if wide and count(record) \
                else label

    def on_resize(self, _event: events.Resize) -> None:
        """Tab labels follow the width."""
        if self.session is not None:
            self._label_tabs(self.session.snapshot().postmortem)

    def _deadlines(self, state: IncidentState | None = None) -> None:
        session = self.session
        if session is None:
            return
        state = state or session.snapshot()
        now = self.now()
        header, late = header_text(state, now, session.read_only)
        self.query_one("#pm-header", Static).update(header)
        self.query_one("#pm-header").set_class(late, "-overdue")
        self.query_one("#pm-summary", Static).update(summary_table(summary_rows(state, now)))

    def _whys(self, record: dict[str, Any]) -> None:
        chain = pm.why_chain(record)
        whys = len(record.get("five_whys") or ())
        self._list("five_whys").rows = tuple(
            (label if label == "Why?" else f"{label}:", text) for label, text in chain[:whys])
        problem = str(record.get("issue_description") or "").strip()
        self.query_one("#pm-problem", Static).update(Text.assemble(
            ("Problem: ", "bold"), inert(problem.splitlines()[0], 200) if problem else
            "(the issue description, written in Report)"))
        root = str(record.get("root_cause") or "").strip()
        self.query_one("#pm-root-cause", Static).update(
            Text.assemble(("Root Cause: ", "bold"), inert(root, 400)) if root else
            Text("The last answer is the root cause — or write it under Report › Root cause.",
                 style="dim"))

    def _list(self, key: str) -> LineList:
        return next(w for w in self.query(LineList) if w.key == key)

    def _select(self, selector: str, chosen: set[str]) -> None:
        ticks = self.query_one(selector, TickList)
        offered = {ticks.get_option_at_index(i).value for i in range(ticks.option_count)}
        if set(ticks.selected) != chosen & offered:
            ticks.deselect_all()
            for value in chosen & offered:
                ticks.select(value)

    # ---- the form → the journal --------------------------------------------------------------
    def _journal(self, label: str, operation: Callable[[IncidentSession], Any]) -> None:
        session = self.session
        if session is None or not self.writable:
            self.notify("this view cannot change the record (it follows the incident)",
                        severity="warning")
            return
        self.rollback_app.run_in_session(label, lambda: operation(session))

    @on(LineList.Added)
    def _added(self, event: LineList.Added) -> None:
        key, text = event.key, event.text
        if key.startswith("fishbone:"):
            category = key.split(":", 1)[1]
            self._journal(f"add a {category} cause", lambda s: s.add_cause(category, text))
        elif key == "five_whys":
            self._journal("add a why", lambda s: s.add_why(text))
        elif key == "prevention":
            self._journal("add a prevention measure", lambda s: s.add_prevention(text))
        else:
            self._journal("add a lesson", lambda s: s.add_lesson(key, text))

    @on(LineList.Removed)
    def _removed(self, event: LineList.Removed) -> None:
        key, index = event.key, event.index
        if key.startswith("fishbone:"):
            category = key.split(":", 1)[1]
            self._journal("remove a cause", lambda s: s.remove_entry("fishbone", index,
                                                                     category=category))
            return
        if key == "prevention":  # the list shows only our own measures: find it in the whole
            measures = [m for m in self.session.state.postmortem.get("prevention") or ()
                        ] if self.session else []
            own = [n for n, m in enumerate(measures) if m not in COMMON_MEASURES]
            index = own[index]
        self._journal(f"remove from {key}", lambda s: s.remove_entry(key, index))

    @on(ActionItems.Added)
    def _action_added(self, event: ActionItems.Added) -> None:
        self._journal("add an action item",
                      lambda s: s.add_action_item(event.text, event.owner, event.due))

    @on(ActionItems.Toggled)
    def _action_toggled(self, event: ActionItems.Toggled) -> None:
        self._journal("mark an action item", lambda s: s.set_action_done(event.index,
                                                                         event.done))

    @on(ActionItems.Removed)
    def _action_removed(self, event: ActionItems.Removed) -> None:
        self._journal("remove an action item",
                      lambda s: s.remove_entry("action_items", event.index))

    @on(SelectionList.SelectionToggled)
    def _ticked(self, event: SelectionList.SelectionToggled) -> None:
        ticks, value = event.selection_list, str(event.selection.value)
        checked = value in ticks.selected
        if ticks.id == "pm-criteria":
            self._journal(f"tick {value}", lambda s: s.set_criterion(value, checked))
        elif ticks.id == "pm-measures":
            self._journal("tick a measure", lambda s: s.set_prevention(value, checked))
        elif ticks.id == "pm-post-rollback":
            self._journal(f"tick {value}", lambda s: s.tick_post_rollback(value, checked))

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """A text section is journaled when the operator leaves it."""
        if isinstance(event.widget, TextArea):
            self._save_texts([event.widget])

    def _unsaved(self, areas: Any = None) -> list[tuple[str, str]]:
        """(section, text) of the text areas that differ from the journal."""
        session = self.session
        if session is None or not self.writable:
            return []
        record = session.state.postmortem
        return [(key, area.text) for area in (areas if areas is not None else self.query(TextArea))
                if area.text.strip() != str(record.get(
                    key := str(area.id).removeprefix("text-")) or "")]

    def _save_texts(self, areas: Any = None) -> None:
        """Journal the text sections the operator changed."""
        for key, text in self._unsaved(areas):
            self._journal(f"write {key.replace('_', ' ')}", lambda s, k=key, t=text:
                          s.set_text(k, t))

    # ---- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Completing needs a writable incident."""
        if action == "complete":
            return self.writable
        return True

    def action_complete(self) -> None:
        """Mark the record complete (the session says what is missing if it cannot be); text
        being written is journaled first, in the same worker."""
        unsaved = self._unsaved()

        def complete(session: IncidentSession) -> str:
            for key, text in unsaved:
                session.set_text(key, text)
            return session.complete_postmortem()

        session = self.session
        if session is not None:
            self.rollback_app.run_in_session(
                "mark the postmortem complete", lambda: complete(session),
                lambda status: self.notify(f"postmortem {status}", timeout=5))

    def action_back(self) -> None:
        """Back to the checklist (text being written is journaled first)."""
        self._save_texts()
        self.dismiss(None)

    def action_timeline(self) -> None:
        """The journal's timeline."""
        from screens.timeline import TimelineScreen

        self.app.push_screen(TimelineScreen(self.rollback_app.timeline))
