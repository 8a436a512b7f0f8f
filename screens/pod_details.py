"""One pod in depth (Enter on the pod panel): status, containers with their last termination
reason and exit code, conditions, recent events, and the tail of the current and previous
container's log. The caller fetches the data (`PodDetails`) and passes it in; nothing here
does I/O, and everything from the cluster is shown literally."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer

from tui.domain.pod_details import ContainerInfo, PodDetails
from tui.domain.pods import PodHealth, age_text, human_duration
from widgets.pod_columns import HEALTH_SYMBOL
from widgets.text import inert

STATE_SYMBOL = {"running": "▶", "waiting": "◌", "terminated": "■", "unknown": "?"}
ROLES = ("ready", "failing", "warn", "pending", "muted", "heading", "strong")
Palette = Mapping[str, Style | str]
"""Role → style; the screen fills it from its component classes (theme colours)."""
PLAIN: Palette = {"muted": "dim", "heading": "bold underline", "strong": "bold",
                  "ready": "bold", "failing": "bold", "warn": "bold", "pending": "bold"}
HEALTH_ROLE = {PodHealth.READY: "ready", PodHealth.FAILING: "failing",
               PodHealth.RUNNING_NOT_READY: "warn", PodHealth.PENDING: "pending"}


def _ago(when: float | None, now: float) -> str:
    return "" if when is None else f"{human_duration(now - when)} ago"


def _section(title: str, palette: Palette) -> Text:
    return Text(f"\n{title}", style=palette["heading"])


def summary_text(details: PodDetails, now: float, palette: Palette = PLAIN) -> Text:
    """`✗ CrashLoopBackOff  0/1 ready  6 restarts  age 61m` and where the pod runs."""
    text = Text()
    symbol = HEALTH_SYMBOL.get(details.health, "?")
    text.append(f"{symbol} {inert(details.status, 60)}",
                palette[HEALTH_ROLE.get(details.health, "strong")])
    text.append(f"   {details.ready_text} ready   {details.restarts} restarts   "
                f"age {age_text(details.created, now)}\n")
    text.append("node ", palette["muted"])
    text.append(inert(details.node or "(not scheduled)", 80))
    text.append("   ip ", palette["muted"])
    text.append(inert(details.ip or "-", 45))
    if details.version:
        text.append("   version ", palette["muted"])
        text.append(inert(details.version, 40))
    text.append("   namespace ", palette["muted"])
    text.append(inert(details.namespace, 63))
    return text


def container_text(container: ContainerInfo, now: float, palette: Palette = PLAIN) -> Text:
    """A container's state now and how it last ended (reason, exit code, when)."""
    text = Text()
    text.append(f"{'✓' if container.ready else '✗'} ",
                palette["ready"] if container.ready else palette["failing"])
    text.append(inert(container.name, 63), palette["strong"])
    text.append(f"  {STATE_SYMBOL.get(container.state, '?')} {container.state}")
    if container.reason:
        text.append(" " + inert(container.reason, 60), palette["strong"])
    if container.state == "terminated" and container.exit_code is not None:
        text.append(f" (exit code {container.exit_code})", palette["strong"])
    text.append(f"  {container.restarts} restarts", palette["warn"] if container.restarts else "")
    if container.since is not None:
        text.append(f"  since {_ago(container.since, now)}", palette["muted"])
    text.append("\n    image ", palette["muted"])
    text.append(inert(container.image, 200))
    if container.message:
        text.append("\n    " + inert(container.message, 400), palette["muted"])
    if container.last_reason or container.last_exit_code is not None:
        text.append("\n    last terminated: ", palette["strong"])
        text.append(inert(container.last_reason or "(no reason)", 60), palette["failing"])
        if container.last_exit_code is not None:
            text.append(f" (exit code {container.last_exit_code})", palette["failing"])
        if container.last_finished is not None:
            text.append(f"  {_ago(container.last_finished, now)}", palette["muted"])
        if container.last_message:
            text.append("\n    " + inert(container.last_message, 400), palette["muted"])
    return text


def conditions_text(details: PodDetails, palette: Palette = PLAIN) -> Text:
    """`✓ PodScheduled  ✗ Ready ContainersNotReady: …`, one condition a line."""
    text = Text()
    for index, condition in enumerate(details.conditions):
        good = condition.status == "True"
        text.append(("\n" if index else "") + ("✓ " if good else "✗ "),
                    palette["ready"] if good else palette["failing"])
        text.append(inert(condition.kind, 60), "" if good else palette["strong"])
        if condition.reason or condition.message:
            detail = ": ".join(p for p in (inert(condition.reason, 80),
                                           inert(condition.message, 300)) if p)
            text.append("  " + detail, palette["muted"])
    return text or Text("(none reported)", style=palette["muted"])


def events_text(details: PodDetails, now: float, palette: Palette = PLAIN) -> Text:
    """Recent events, newest first, warnings marked `!`."""
    if not details.events:
        return Text("(no recent events)", style=palette["muted"])
    text = Text()
    for index, event in enumerate(details.events):
        warning = event.kind != "Normal"
        text.append(("\n" if index else "") + ("! " if warning else "  "),
                    palette["warn"] if warning else "")
        when = human_duration(now - event.last_seen) if event.last_seen is not None else "?"
        text.append(f"{when:>5}  ", palette["muted"])
        text.append(inert(event.reason, 40), palette["strong"] if warning else "")
        if event.count > 1:
            text.append(f" ×{event.count}", palette["muted"])
        text.append("  " + inert(event.message, 400))
    return text


def log_text(lines: tuple[str, ...], note: str, palette: Palette = PLAIN) -> Text:
    """Log lines as they are (escape sequences removed, nothing interpreted), `▏`-guttered."""
    if not lines:
        return Text(inert(note) if note else "(empty)", style=palette["muted"])
    text = Text()
    for index, line in enumerate(lines):
        text.append(("\n" if index else "") + "▏", palette["muted"])
        text.append(inert(line))
    return text


def details_renderable(details: PodDetails, now: float, palette: Palette = PLAIN) -> Group:
    """The whole details view as one renderable, what explains a failure first: the
    containers, then (after a restart) the previous container's log, then the current one,
    events, and conditions last."""
    container = inert(details.container, 63) or "?"
    none = Text("(no container status yet)", style=palette["muted"])
    previous = [_section(f"Log · {container} · previous container (before the last restart)",
                         palette),
                log_text(details.previous_log, details.previous_log_note, palette)]
    restarted = any(c.restarts for c in details.containers)
    return Group(
        summary_text(details, now, palette),
        _section("Containers", palette),
        *(container_text(c, now, palette) for c in details.containers),
        *([] if details.containers else [none]),
        *(previous if restarted else []),
        _section(f"Log · {container} · current container (last lines)", palette),
        log_text(details.log, details.log_note, palette),
        *([] if restarted else previous),
        _section("Events (newest first)", palette), events_text(details, now, palette),
        _section("Conditions", palette), conditions_text(details, palette),
    )


class DetailsBody(Widget):
    """The details as text, in theme colours (its component classes resolve against the
    box's background)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"pod-details--{role}" for role in ROLES}
    DEFAULT_CSS = """
    DetailsBody { height: auto; }
    DetailsBody > .pod-details--ready { color: $text-success; text-style: bold; }
    DetailsBody > .pod-details--failing { color: $text-error; text-style: bold; }
    DetailsBody > .pod-details--warn { color: $text-warning; text-style: bold; }
    DetailsBody > .pod-details--pending { color: $text-primary; text-style: bold; }
    DetailsBody > .pod-details--muted { color: $text-muted; }
    DetailsBody > .pod-details--heading { color: $text-primary; text-style: bold; }
    DetailsBody > .pod-details--strong { text-style: bold; }
    """

    def __init__(self, details: PodDetails | None, pod_name: str,
                 clock: Callable[[], float]) -> None:
        """What to show first (None: still fetching `pod_name`)."""
        super().__init__(id="pod-details-body")
        self.details, self.pod_name, self.clock = details, pod_name, clock
        self.error = ""

    def render(self) -> Text | Group:
        """The details, the error, or that they are being fetched."""
        palette = {role: self.get_component_rich_style(f"pod-details--{role}")
                   for role in ROLES}
        if self.error:
            return Text("✗ " + inert(self.error, 600), style=palette["failing"])
        if self.details is None:
            return Text(f"◌ fetching the details of pod {inert(self.pod_name, 63)}…",
                        style=palette["muted"])
        return details_renderable(self.details, self.clock(), palette)


class PodDetailsScreen(ModalScreen[None]):
    """A pod's details over the current screen; Esc closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="pod_details_close"),
    ]
    DEFAULT_CSS = """
    PodDetailsScreen { align: center middle; }
    PodDetailsScreen > VerticalScroll { width: 96%; max-width: 130; height: auto;
        max-height: 94%; border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, details: PodDetails | None = None, *, name: str = "",
                 clock: Callable[[], float] = time.time) -> None:
        """The pod's details, or None while the caller is fetching them (`name` is shown)."""
        super().__init__()
        self.body = DetailsBody(details, name, clock)

    def compose(self) -> ComposeResult:
        """The details in a scrolling box."""
        with VerticalScroll() as box:
            box.border_title = self._title()
            box.border_subtitle = "esc close"
            yield self.body
        yield Footer()

    def _title(self) -> Text:
        details = self.body.details
        name = details.name if details is not None else self.body.pod_name
        return Text("Pod " + inert(name or "?", 63), style="bold")

    def show(self, details: PodDetails) -> None:
        """Show the fetched details."""
        self.body.details, self.body.error = details, ""
        self._update()

    def show_error(self, message: str) -> None:
        """The details could not be fetched: say why (and keep the screen)."""
        self.body.error = message
        self._update()

    def _update(self) -> None:
        if self.is_mounted:
            self.query_one(VerticalScroll).border_title = self._title()
        self.body.refresh(layout=True)

    def action_close(self) -> None:
        """Back to where the operator was."""
        self.dismiss(None)
