"""Rollout progress per Deployment: a bar of updated/available of desired, the old ReplicaSets
draining, the Progressing reason, time against the runbook's estimate, and STUCK when the
progress deadline has passed — with kubectl's own words."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.domain.drill_timing import WALL, ScenarioClock
from tui.domain.rollout import ReplicaSetInfo, RolloutProgress
from widgets.feed_status import FeedStatus, stale_text
from widgets.pod_columns import Piece
from widgets.pod_view import cells
from widgets.text import inert
from widgets.timefmt import clock_text

BAR_WIDTH = 12
MIN_BAR, MAX_BAR = 6, 24
BAR = ("█", "▒", "░")  # updated and available · updated, not yet available · not updated
Line = tuple[list[Piece], bool]
"""A line's pieces, and whether it may wrap (messages) or is cut to the width (figures)."""


@dataclass(frozen=True)
class RolloutView:
    """One Deployment's rollout as the panel shows it."""

    progress: RolloutProgress
    started: float | None = None
    """Epoch seconds the rollout began (the runbook step's start); None: not timed."""
    estimate: float | None = None
    """Seconds the runbook step expects it to take; None: no estimate."""
    pace: ScenarioClock = WALL
    """The incident's clock: in a drill, elapsed is its time, as the estimate is."""


def state_role(progress: RolloutProgress) -> str:
    """How the rollout stands, as a role: done, stuck, paused or progressing."""
    if progress.stuck:
        return "stuck"
    if progress.done:
        return "done"
    return "paused" if progress.paused else "progressing"


def bar_pieces(progress: RolloutProgress, width: int = BAR_WIDTH) -> list[Piece]:
    """`███▒▒▒░░░░░░`: updated and available, updated but not available, not yet updated."""
    desired = progress.desired
    if desired <= 0:
        return [("─" * width, "muted")]
    updated = min(progress.updated, desired)
    # The Deployment's available count includes old pods; the new ReplicaSet's is the truth.
    new = progress.new_replicaset
    available = min(new.available if new is not None else progress.available, updated)
    full = round(width * available / desired)
    partial = round(width * updated / desired) - full
    role = state_role(progress)
    return [(BAR[0] * full, role), (BAR[1] * partial, role),
            (BAR[2] * (width - full - partial), "muted")]


def timing_pieces(view: RolloutView, now: float) -> list[Piece]:
    """`0:37 of ~1:00`, marked when past the estimate; nothing once done or untimed."""
    if view.started is None or view.progress.done:
        return []
    elapsed = max(view.pace.between(view.started, now) or 0.0, 0.0)
    pieces: list[Piece] = [(clock_text(elapsed), "")]
    if view.estimate:
        over = elapsed > view.estimate
        pieces.append((f" of ~{clock_text(view.estimate)}", "muted"))
        if over:
            pieces.append((" ! over", "warn"))
    return pieces


def replicaset_label(rs: ReplicaSetInfo) -> str:
    """`checkout-7dc4ccd75d (2.4.0)`."""
    version = f" ({inert(rs.version, 24)})" if rs.version else ""
    return inert(rs.name, 63) + version


def state_line(progress: RolloutProgress) -> list[Piece]:
    """The verdict: STUCK / paused / done / waiting, with the Progressing reason."""
    reason = inert(progress.progressing_reason, 40)
    if progress.stuck:
        return [("✗ STUCK", "stuck-badge"), (f"  {reason}", "stuck")]
    if not progress.fresh:
        waiting = (f"waiting for the controller to observe generation {progress.generation} "
                   f"(observed {progress.observed_generation})")
        return [("◌ ", "muted"), (waiting, "muted")]
    if progress.done:
        return [("✓ rolled out", "done"), (f"  {reason}" if reason else "", "")]
    if progress.paused:
        return [("! PAUSED", "paused"), (f"  {reason}" if reason else "", "")]
    if progress.progressing_reason == "NewReplicaSetAvailable":
        # The rollout finished earlier, yet replicas are not available now: nothing is
        # rolling out — its pods are failing (e.g. crash-looping) where they stand.
        lost = progress.desired - min(progress.available, progress.desired)
        return [("! DEGRADED", "paused"),
                (f"  {lost} of {progress.desired} not available", "warn")]
    return [("◌ rolling out", "progressing"), (f"  {reason}" if reason else "", "")]


def rollout_lines(view: RolloutView, now: float, width: int = 60,
                  named: bool = False) -> list[Line]:
    """Every line of one Deployment's rollout, fitted to `width` cells (`named`: start with
    the Deployment's name)."""
    progress = view.progress
    head: list[Piece] = [(inert(progress.name, 40) + "  ", "title")] if named else []
    desired = progress.desired
    counts: list[Piece] = [
        *head, ("updated ", ""), (f"{progress.updated}/{desired}", "strong"),
        ("  ready ", ""), (f"{progress.ready}/{desired}", "strong"),
        ("  available ", ""), (f"{progress.available}/{desired}", "strong"), ("  ", "")]
    room = width - cells(counts)
    bar = max(min(room, MAX_BAR), MIN_BAR)
    lines: list[Line] = [([*counts, *bar_pieces(progress, bar)], False)]
    new = progress.new_replicaset
    if new is not None and not progress.done:
        scaling = f" → {new.desired}" if new.desired != new.replicas else ""
        lines.append(([("new rs ", ""), (replicaset_label(new), "strong"),
                       (f" {new.replicas}{scaling}", ""), (f" · {new.ready} ready", "")],
                      False))
    for old in progress.old_replicasets:
        moving = (f" draining {old.replicas} → {old.desired}" if old.desired < old.replicas
                  else f" holding {old.replicas}")
        lines.append(([("old rs ", ""), (replicaset_label(old), "strong"), (moving, "warn")],
                      False))
    timing = timing_pieces(view, now)
    lines.append(([*state_line(progress), *([("   ", ""), *timing] if timing else [])], False))
    if progress.stuck:
        lines.append(([(inert(progress.message, 200), "stuck")], True))
        if progress.progressing_message:
            lines.append(([(inert(progress.progressing_message, 300), "")], True))
    elif not progress.done and progress.fresh:
        lines.append(([(inert(progress.message, 200), "")], True))
    return lines


class RolloutPanel(Widget):
    """The rollout of one or more Deployments, live (set `rollouts`, and `set_status`)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        f"rollout-panel--{role}" for role in (
            "done", "stuck", "stuck-badge", "paused", "progressing", "muted", "warn", "title",
            "stale", "strong")}
    DEFAULT_CSS = """
    RolloutPanel { border: round $primary-muted; height: auto; padding: 0 1;
        border-title-color: $text; }
    RolloutPanel.-stuck { border: round $error; }
    RolloutPanel.-stale { border: round $warning; }
    RolloutPanel > .rollout-panel--done { color: $text-success; }
    RolloutPanel > .rollout-panel--stuck { color: $text-error; text-style: bold; }
    RolloutPanel > .rollout-panel--stuck-badge { color: $text-error; text-style: bold reverse; }
    RolloutPanel > .rollout-panel--paused { color: $text-warning; text-style: bold; }
    RolloutPanel > .rollout-panel--progressing { color: $text-primary; text-style: bold; }
    RolloutPanel > .rollout-panel--strong { text-style: bold; }
    RolloutPanel > .rollout-panel--muted { color: $text-muted; }
    RolloutPanel > .rollout-panel--warn { color: $text-warning; }
    RolloutPanel > .rollout-panel--title { text-style: bold; }
    RolloutPanel > .rollout-panel--stale { color: $text-warning; text-style: bold reverse; }
    """

    rollouts: reactive[tuple[RolloutView, ...]] = reactive((), layout=True)
    """One view per Deployment (set by the screen as its feeds change)."""

    def __init__(self, *, clock: Callable[[], float] = time.time, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """An empty panel; `clock` gives epoch seconds (elapsed time, staleness)."""
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self.status: FeedStatus | None = None
        self._received = 0.0

    def show(self, views: Sequence[RolloutView] | RolloutView) -> None:
        """Show these rollouts (one view, or one per Deployment)."""
        self.rollouts = (views,) if isinstance(views, RolloutView) else tuple(views)

    def set_status(self, status: FeedStatus) -> None:
        """The Deployment feed's status: a STALE marker while it retries."""
        self.status, self._received = status, self.clock()
        self._update_title()
        self.refresh()

    def on_mount(self) -> None:
        """Elapsed time and the stale countdown move with the clock."""
        self._update_title()
        self.set_interval(1.0, self._tick)

    def notify_style_update(self) -> None:
        """A theme change recolours the title (its styles are baked into the text)."""
        super().notify_style_update()
        # Later, not now: this runs inside Textual's style pass (e.g. a focus change), and
        # changing classes from here would start another pass inside it.
        if self.is_mounted:
            self.call_later(self._update_title)

    def _tick(self) -> None:
        if self.status is not None or any(v.started is not None for v in self.rollouts):
            self._update_title()
            self.refresh()

    def watch_rollouts(self) -> None:
        """New data: the title and the border follow the state."""
        self._update_title()

    def _stale(self) -> str:
        return stale_text(self.status, self.clock(), self._received)

    def _update_title(self) -> None:
        views = self.rollouts
        stuck = any(v.progress.stuck for v in views)
        stale = self._stale()
        self.set_class(stuck, "-stuck")
        self.set_class(bool(stale), "-stale")
        title = Text("Rollout", style=self._style("title"), end="")
        if len(views) == 1:
            title.append(" " + inert(views[0].progress.name, 40), self._style("title"))
        if stuck:
            title.append("  ✗ STUCK", self._style("stuck"))
        if stale:
            title.append("  ")
            title.append(f" {stale} ", self._style("stale"))
        self.border_title = title

    def _style(self, role: str) -> Style:
        return self.get_component_rich_style(f"rollout-panel--{role}")

    def render(self) -> RenderableType:
        """Every Deployment's lines (figures cut to the width, messages wrapped)."""
        views = self.rollouts
        if not views:
            return Text("◌ no rollout in progress", style=self._style("muted"))
        now, width = self.clock(), self.content_size.width
        stale = bool(self._stale())
        parts: list[Text] = []
        for view in views:
            for pieces, wraps in rollout_lines(view, now, width, named=len(views) > 1):
                text = Text(no_wrap=not wraps, overflow="fold" if wraps else "ellipsis")
                for chunk, role in pieces:
                    text.append(chunk, self._style(role) if role else None)
                if stale:
                    text.stylize("dim")
                parts.append(text)
        return Group(*parts)
