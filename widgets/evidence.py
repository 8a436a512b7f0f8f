"""The evidence beside every decision and action: rollout progress, the pods and the metrics
against the frozen baseline — stacked on the right of wide terminals, folded into tabs
(`1 pods  2 metrics  3 rollout  4 timeline`) under the work on narrow ones."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from tui.domain.metrics import MetricView
from tui.domain.rollout import ReplicaSetInfo
from tui.domain.timeline import TimelineEntry
from widgets.feed_status import FeedStatus
from widgets.metric_panel import MetricPanel
from widgets.pod_panel import PodPanel, PodSnapshot
from widgets.rollout_panel import RolloutPanel, RolloutView
from widgets.timeline import Timeline

TABS = (("pods", "pods"), ("metrics", "metrics"), ("rollout", "rollout"),
        ("timeline", "timeline"))


def tab_bar(active: str) -> Text:
    """`1 pods  2 metrics  3 rollout  4 timeline`, the active one marked (not by colour only)."""
    text = Text()
    for number, (key, label) in enumerate(TABS, 1):
        chosen = key == active
        text.append(f" {number} {'▸' if chosen else ' '}{label} ",
                    style="bold reverse" if chosen else "")
    return text


class Evidence(Vertical):
    """Rollout, pods, metrics (and, when narrow, the timeline as a fourth tab)."""

    DEFAULT_CSS = """
    Evidence { height: 1fr; }
    Evidence #evidence-tabs { display: none; height: 1; }
    Evidence #ev-timeline { display: none; }
    Evidence RolloutPanel { height: auto; }
    Evidence PodPanel { height: 1fr; min-height: 6; }
    Evidence MetricPanel { height: 16; }
    Evidence.-tabs #evidence-tabs { display: block; }
    Evidence.-tabs > RolloutPanel, Evidence.-tabs > PodPanel, Evidence.-tabs > MetricPanel,
    Evidence.-tabs > #ev-timeline { display: none; height: 1fr; }
    Evidence.-tabs.-show-pods > PodPanel { display: block; }
    Evidence.-tabs.-show-metrics > MetricPanel { display: block; }
    Evidence.-tabs.-show-rollout > RolloutPanel { display: block; }
    Evidence.-tabs.-show-timeline > #ev-timeline { display: block; }
    """
    tab: reactive[str] = reactive("pods")
    """Which panel shows when folded into tabs."""
    folded: reactive[bool] = reactive(False)
    """Whether the panels are folded into tabs (narrow terminals)."""

    def __init__(self, *, clock: Callable[[], float] = time.time, **kwargs: Any) -> None:
        """`clock` drives ages, elapsed times and stale markers (injected in tests)."""
        super().__init__(**kwargs)
        self.clock = clock
        self._timeline_shown = 0

    def compose(self) -> ComposeResult:
        """Tab bar (narrow only), rollout, pods, metrics, timeline (narrow only)."""
        yield Static(tab_bar(self.tab), id="evidence-tabs")
        yield RolloutPanel(clock=self.clock, id="rollout")
        yield PodPanel(clock=self.clock, id="pods")
        yield MetricPanel(clock=self.clock, id="metrics")
        yield Timeline(id="ev-timeline")

    def watch_tab(self, tab: str) -> None:
        """Show the chosen panel (in tab mode)."""
        for key, _ in TABS:
            self.set_class(key == tab, f"-show-{key}")
        if self.is_mounted:
            self.query_one("#evidence-tabs", Static).update(tab_bar(tab))

    def watch_folded(self, folded: bool) -> None:
        """Switch between stacked panels and tabs."""
        self.set_class(folded, "-tabs")

    def on_mount(self) -> None:
        """Start on the pods."""
        self.watch_tab(self.tab)

    # ---- data in (set by the screen from the app's feeds) -----------------------------------
    def show_pods(self, snapshot: PodSnapshot | None,
                  replicasets: Mapping[str, ReplicaSetInfo] | None = None) -> None:
        """A new pod snapshot (only changed lines are redrawn)."""
        panel = self.query_one(PodPanel)
        if replicasets is not None:
            panel.set_replicasets(replicasets)
        if snapshot is not None:
            panel.apply(snapshot)

    def show_rollouts(self, views: Sequence[RolloutView]) -> None:
        """Rollout progress of each Deployment in scope."""
        self.query_one(RolloutPanel).show(list(views))

    def show_status(self, status: FeedStatus | None) -> None:
        """How fresh the cluster data is (STALE with age and retry countdown)."""
        if status is not None:
            self.query_one(PodPanel).set_status(status)
            self.query_one(RolloutPanel).set_status(status)

    def show_metrics(self, views: Mapping[str, MetricView]) -> None:
        """The latest metric views."""
        self.query_one(MetricPanel).views = views

    def show_timeline(self, entries: Iterable[TimelineEntry]) -> None:
        """Entries appended since the last call (the timeline tab)."""
        timeline = self.query_one("#ev-timeline", Timeline)
        entries = list(entries)
        new = entries[self._timeline_shown:]
        if new:
            timeline.extend(new)
            self._timeline_shown = len(entries)
