"""A pod in depth: the PodDetails built from API objects, the details screen (a crash-looping
pod's last termination and previous log, hostile log lines), `Kube.pod_details` against the
drill over real HTTP, and snapshots."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console
from textual.app import App
from widget_pods import (
    CRASH_EVENTS,
    CRASH_LOG,
    NOW,
    PREVIOUS_LOG,
    crashloop_details,
    crashloop_pod,
)

from screens.pod_details import DetailsBody, PodDetailsScreen, details_renderable
from tui.adapters.kube import Kube, KubeError
from tui.domain.pod_details import pod_details
from tui.domain.pods import PodHealth


class DetailsApp(App[None]):
    """Opens the details screen over an empty app, in a theme."""

    def __init__(self, screen: PodDetailsScreen, theme: str = "textual-dark") -> None:
        """The screen to push."""
        super().__init__()
        self.details_screen, self.start_theme = screen, theme

    def on_mount(self) -> None:
        """Theme, then the screen."""
        self.theme = self.start_theme
        self.push_screen(self.details_screen)


def as_text(renderable: object, width: int = 110) -> str:
    """What a renderable prints, as plain text."""
    console = Console(width=width, file=io.StringIO(), color_system=None, record=True)
    console.print(renderable)
    return console.export_text()


def test_details_of_a_crash_looping_pod() -> None:
    details = crashloop_details()
    assert (details.status, details.ready_text, details.restarts) == ("CrashLoopBackOff", "0/1",
                                                                      6)
    assert details.health is PodHealth.FAILING and details.version == "2.4.0"
    (container,) = details.containers
    assert (container.state, container.reason, container.restarts) == (
        "waiting", "CrashLoopBackOff", 6)
    assert (container.last_reason, container.last_exit_code) == ("Error", 1)
    assert container.last_finished == NOW - 120
    assert [e.reason for e in details.events] == ["BackOff", "Started", "Scheduled"]
    assert details.events[0].count == 23 and details.events[0].kind == "Warning"
    assert details.previous_log[-1].endswith("panic: nil pointer dereference in payment client")
    assert len(details.log) == 5 and details.container == "checkout"
    assert [c.kind for c in details.conditions if c.status != "True"] == ["Ready",
                                                                          "ContainersReady"]


def test_odd_shapes_never_raise() -> None:
    for pod in ({}, {"status": {"containerStatuses": [None, {"state": "x"}]}},
                {"metadata": "x", "status": {"conditions": [1, {"type": 2}]}}):
        details = pod_details(pod, [None, {"count": "many", "lastTimestamp": 5}], None, "")
        assert details.log == () and details.previous_log == ()
    tail = pod_details(crashloop_pod(), [], "\n".join(str(i) for i in range(100)), tail=3)
    assert tail.log == ("97", "98", "99")


def test_the_view_shows_the_last_termination_and_the_previous_log() -> None:
    text = as_text(details_renderable(crashloop_details(), NOW))
    assert "last terminated: Error (exit code 1)  2m ago" in text
    assert "◌ waiting CrashLoopBackOff" in text
    assert "BackOff ×23  Back-off restarting failed container" in text
    previous = text.split("previous container")[1].split("current container")[0]
    assert "panic: nil pointer dereference in payment client" in previous
    assert "panic" not in text.split("current container")[1]


def test_hostile_log_lines_and_reasons_are_shown_literally() -> None:
    pod = crashloop_pod()
    status = pod["status"]["containerStatuses"][0]
    status["lastState"]["terminated"]["reason"] = "[bold red]OOM[/]\x1b[2J"
    log = "ok\n\x1b]52;c;ZXZpbA==\x07copied\nline\rover\nnul\x00here\n" + "長" * 300
    text = as_text(details_renderable(pod_details(pod, [], log, None,
                                                  previous_log_note="no previous log: 400"),
                                      NOW))
    for control in ("\x1b", "\x07", "\r", "\x00"):
        assert control not in text
    assert "[bold red]OOM[/]" in text and "line^Mover" in text
    assert "^[]52;c;ZXZpbA==^Gcopied" in text  # the clipboard escape shown inert, not run
    assert "no previous log: 400" in text and "長長長" in text


async def test_the_screen_shows_loading_then_details_then_closes() -> None:
    screen = PodDetailsScreen(name="checkout-7dc4ccd75d-8zgmf", clock=lambda: NOW)
    app = DetailsApp(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        body = screen.query_one(DetailsBody)
        assert "fetching the details of pod checkout-7dc4ccd75d-8zgmf" in as_text(body.render())
        screen.show(crashloop_details())
        await pilot.pause()
        shown = as_text(body.render())
        assert "last terminated: Error (exit code 1)" in shown and "panic" in shown
        # After a restart the previous container's log comes before the current one.
        assert shown.index("previous container") < shown.index("current container")
        screen.show_error('pods "x" not found — check the name')
        await pilot.pause()
        assert '✗ pods "x" not found' in as_text(body.render())
        await pilot.press("escape")
        assert app.screen is not screen


def test_kube_pod_details_of_a_crash_looping_drill_pod(drill) -> None:
    cluster, info = drill("bad-release", speed=20)
    with Kube.connect(info.kubeconfig) as kube:
        deadline = time.monotonic() + 20
        while True:
            pods = kube.list_pods("checkout").items
            restarted = [p for p in pods if any(
                c.get("restartCount") for c in p["status"].get("containerStatuses") or [])]
            if restarted or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert restarted, "no checkout pod restarted within 20 s"
        details = kube.pod_details(restarted[0]["metadata"]["name"])
        (container,) = details.containers
        assert (container.last_reason, container.last_exit_code) == ("Error", 1)
        assert any(line.endswith("panic: nil pointer dereference in payment client")
                   for line in details.previous_log)
        assert "Scheduled" in {e.reason for e in details.events}
        assert details.node and details.version == "2.4.0" and cluster is not None
        with pytest.raises(KubeError, match='pods "nope" in namespace "production"'):
            kube.pod_details("nope")


THEMES = ("textual-dark", "textual-light")


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", ((120, 40), (80, 24)), ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_details_of_a_crash_looping_pod(snap_compare, size, theme) -> None:
    screen = PodDetailsScreen(crashloop_details(), clock=lambda: NOW)
    assert snap_compare(DetailsApp(screen, theme), terminal_size=size)


def test_the_sample_data_is_what_the_drill_writes() -> None:
    # The logs and events the screen is tested with have the drill's shapes and words.
    assert CRASH_LOG.count("\n") == 5 and PREVIOUS_LOG.endswith("payment client\n")
    assert {e["reason"] for e in CRASH_EVENTS} == {"Scheduled", "Started", "BackOff"}
