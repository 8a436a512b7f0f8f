"""The rollout panel: the bar, the draining ReplicaSets, the Progressing reason, time against
the estimate, STUCK with kubectl's words; Pilot and snapshots of the bad-release rollback and
of a stuck rollout."""

from __future__ import annotations

from dataclasses import replace

import pytest
from widget_pods import NOW, PanelApp, rollback_progress, stuck_progress

from tui.domain.drill_timing import ScenarioClock
from tui.domain.rollout import ReplicaSetInfo
from widgets.rollout_panel import (
    RolloutPanel,
    RolloutView,
    bar_pieces,
    clock_text,
    rollout_lines,
    timing_pieces,
)

THEMES = ("textual-dark", "textual-light")
SIZES = ((120, 40), (80, 24))


def plain(pieces: list[tuple[str, str]]) -> str:
    """The characters of some pieces."""
    return "".join(text for text, _ in pieces)


def lines_of(view: RolloutView, width: int = 60) -> list[str]:
    """Every line's characters."""
    return [plain(pieces) for pieces, _ in rollout_lines(view, NOW, width)]


def test_the_bar_shows_available_then_updated_then_the_rest_of_desired() -> None:
    # Rollback half-way: 1 new pod available, 1 more updated, 1 not yet updated.
    assert plain(bar_pieces(rollback_progress(), 12)) == "████▒▒▒▒░░░░"
    done = rollback_progress(updated=3, ready=3, available=3, done=True,
                             new_replicaset=replace(rollback_progress().new_replicaset,
                                                    available=3))
    assert plain(bar_pieces(done, 12)) == "█" * 12
    # Old pods make the Deployment's available count 3; the new pod is not available.
    assert plain(bar_pieces(stuck_progress(), 12)) == "▒▒▒▒░░░░░░░░"
    assert plain(bar_pieces(rollback_progress(desired=0), 6)) == "──────"


def test_lines_of_a_rollback_in_progress() -> None:
    lines = lines_of(RolloutView(rollback_progress(), started=NOW - 37, estimate=60))
    assert lines[0].startswith("updated 2/3  ready 1/3  available 1/3  █")
    assert len(lines[0]) == 60
    assert lines[1] == "new rs checkout-655b57ff64 (2.3.1) 2 → 3 · 1 ready"
    assert lines[2] == "old rs checkout-7dc4ccd75d (2.4.0) draining 2 → 1"
    assert lines[3] == "◌ rolling out  ReplicaSetUpdated   0:37 of ~1:00"
    assert lines[4].startswith('Waiting for deployment "checkout" rollout to finish')


def test_a_stuck_rollout_says_so_with_kubectls_message() -> None:
    lines = lines_of(RolloutView(stuck_progress(), started=NOW - 200, estimate=60))
    assert lines[3] == "✗ STUCK  ProgressDeadlineExceeded   3:20 of ~1:00 ! over"
    assert lines[4] == 'deployment "checkout" exceeded its progress deadline'
    assert lines[5] == 'ReplicaSet "checkout-5d8f6b7c9d" has timed out progressing.'
    assert "old rs checkout-6c9d7e8f5a (2.4.1) holding 3" in lines


def test_timing_and_states() -> None:
    assert clock_text(37.9) == "0:37" and clock_text(3725) == "1:02:05" and clock_text(-3) == (
        "0:00")
    assert timing_pieces(RolloutView(rollback_progress()), NOW) == []
    done = rollback_progress(done=True, message='deployment "checkout" successfully rolled out',
                             progressing_reason="NewReplicaSetAvailable")
    assert timing_pieces(RolloutView(done, started=NOW - 5), NOW) == []
    # In a drill at ×20, 10 wall seconds are 3:20 of its time, over a 3-minute estimate.
    drill = RolloutView(rollback_progress(), started=NOW - 10, estimate=180,
                        pace=ScenarioClock(20.0, NOW - 60))
    assert timing_pieces(drill, NOW) == [("3:20", ""), (" of ~3:00", "muted"), (" ! over", "warn")]
    assert lines_of(RolloutView(done))[-1] == "✓ rolled out  NewReplicaSetAvailable"
    stale = lines_of(RolloutView(rollback_progress(fresh=False, observed_generation=4)))
    assert stale[-1] == "◌ waiting for the controller to observe generation 5 (observed 4)"
    paused = lines_of(RolloutView(rollback_progress(paused=True)))
    assert any(line.startswith("! PAUSED") for line in paused)


def test_names_and_messages_from_the_cluster_are_inert() -> None:
    hostile = ReplicaSetInfo("evil-\x1b[2J[bold]x[/]", 2, "\x1b]52;c;eA==\x07v", (), 0, 1, 0, 0)
    progress = rollback_progress(message="[red]boom[/]\r\x00", old_replicasets=(hostile,),
                                 progressing_reason="\x1b[31mReason")
    text = "\n".join(lines_of(RolloutView(progress)))
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text and "\x00" not in text
    assert "evil-^[[2J[bold]x[/] (^[]52;c;eA==^Gv) draining 1 → 0" in text
    assert "[red]boom[/]^M^@" in text and "^[[31mReason" in text


async def test_the_panel_marks_stuck_and_stale_in_its_border() -> None:
    class Status:
        state, retry_in, stale_since = "retrying", 5.0, NOW - 12

    app = PanelApp(rollouts=[RolloutView(stuck_progress())], pods=False)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(RolloutPanel)
        assert panel.has_class("-stuck") and "✗ STUCK" in panel.border_title
        panel.set_status(Status())
        await pilot.pause()
        assert panel.has_class("-stale") and "STALE 12s · retrying in 5s" in panel.border_title
        view = RolloutView(rollback_progress())
        panel.show(view)
        await pilot.pause()
        assert not panel.has_class("-stuck") and "STUCK" not in panel.border_title
        # The height follows the content: five lines, kubectl's message wrapped onto two.
        assert len(rollout_lines(view, NOW, panel.content_size.width)) == 5
        assert panel.content_size.height == 6


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_rollback_in_progress(snap_compare, size, theme) -> None:
    view = RolloutView(rollback_progress(), started=NOW - 37, estimate=60)
    assert snap_compare(PanelApp(rollouts=[view], pods=False, theme=theme), terminal_size=size)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_stuck_rollout(snap_compare, size, theme) -> None:
    view = RolloutView(stuck_progress(), started=NOW - 200, estimate=60)
    assert snap_compare(PanelApp(rollouts=[view], pods=False, theme=theme), terminal_size=size)


def test_a_rolled_out_release_whose_pods_fail_reads_degraded_not_rolling_out() -> None:
    # Every replica is on the new template and the rollout completed earlier
    # (NewReplicaSetAvailable), but two of three pods are crash-looping now.
    crashing = rollback_progress(updated=3, ready=1, available=1, total=3,
                                 progressing_reason="NewReplicaSetAvailable")
    state = lines_of(RolloutView(crashing))[-2]
    assert state.startswith("! DEGRADED  2 of 3 not available"), state
    assert "rolling out" not in state
    # During a rollout the same counts are progress, not degradation.
    rolling = replace(crashing, progressing_reason="ReplicaSetUpdated")
    assert lines_of(RolloutView(rolling))[-2].startswith("◌ rolling out")
