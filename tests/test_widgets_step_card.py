"""The step card: command wrapping, what it says about a step, copying, streaming output."""

from __future__ import annotations

from dataclasses import replace

import pytest
from widgets_scenario import (
    NOW,
    PARAMS,
    SIZES,
    THEMES,
    Harness,
    executing_state,
    fixed_clock,
    runbook,
    screen_text,
)

from tui.domain.drill_timing import ScenarioClock
from tui.domain.incident import StepState
from tui.domain.runbook import Parameter
from tui.domain.status import StepStatus
from widgets.step_card import (
    OUTPUT_LINES,
    StepCard,
    StepDetail,
    card_lines,
    status_text,
    step_detail,
    time_line,
    wrap_command,
)
from widgets.text import line_text, line_width

UNDO = "kubectl rollout undo deployment/checkout --to-revision=2 -n production"
PROGRESS = [f'Waiting for deployment "checkout" rollout to finish: {n} out of 3 new replicas '
            "have been updated..." for n in (1, 2)]


def detail_of(step_id: str) -> StepDetail:
    book = runbook()
    return step_detail(book, next(s for s in book.steps if s.id == step_id), PARAMS)


def test_detail_fills_templates_from_the_parameters() -> None:
    detail = detail_of("rollout_undo")
    assert detail.number == 8
    assert detail.command == UNDO
    assert detail.expected == "deployment.apps/checkout rolled back"
    assert detail.danger and not detail.point_of_no_return
    manual = detail_of("announce")
    assert manual.command is None
    assert manual.instructions == "Post to the team chat."
    assert manual.message.startswith("🚨 ROLLBACK INITIATED for release 2.4.0")
    assert manual.copy_text == manual.message


def test_secret_parameters_are_masked_in_the_command() -> None:
    book = runbook()
    book = replace(book, parameters=(*book.parameters, Parameter("token", "API token",
                                                                  secret=True)))
    step = replace(book.steps[-1], command="curl -H 'Authorization: Bearer {{ token }}' "
                   "{{ health_url }}", expected="200 for {{ token }}")
    detail = step_detail(book, step, {**PARAMS, "token": "s3cr3t-value"})
    assert "s3cr3t-value" not in (detail.command or "") + detail.expected
    assert "***" in (detail.command or "")


def test_commands_wrap_between_words_with_continuations() -> None:
    assert wrap_command(UNDO, 80) == [f"$ {UNDO}"]
    assert wrap_command(UNDO, 44) == ["$ kubectl rollout undo deployment/checkout \\",
                                      "    --to-revision=2 -n production"]
    quoted = "curl --data-urlencode 'query=rate(x{service=\"a b\"}[5m])' http://h"
    lines = wrap_command(quoted, 40)
    assert "    'query=rate(x{service=\"a b\"}[5m])' \\" in lines


@pytest.mark.parametrize("width", [60, 30, 12, 3])
def test_wrapped_command_never_exceeds_the_width(width: int) -> None:
    for line in wrap_command("curl " + "x" * 150 + " --flag value " + "y" * 40, width):
        assert len(line) <= width


def test_time_against_the_estimate() -> None:
    state = executing_state()
    detail = detail_of("rollout_undo")
    assert time_line(detail, state.steps["rollout_undo"], NOW) == (
        "est 1m · elapsed 0:37", "running")
    assert time_line(detail, state.steps["rollout_undo"], NOW + 60) == (
        "est 1m · elapsed 1:37 (over)", "warning")
    assert time_line(detail_of("snapshot"), state.steps["snapshot"], NOW) == (
        "est 30s · took 0:01", "")
    assert time_line(detail, None, NOW) == ("est 1m", "")


def test_in_a_drill_times_are_on_its_clock_like_its_estimates() -> None:
    state = executing_state()
    fast = ScenarioClock(10.0, NOW - 3600)  # ×10 since long before the step started
    assert time_line(detail_of("rollout_undo"), state.steps["rollout_undo"], NOW, fast) == (
        "est 1m · elapsed 6:10 (over)", "warning")
    assert time_line(detail_of("snapshot"), state.steps["snapshot"], NOW, fast) == (
        "est 30s · took 0:10", "")


def test_status_words() -> None:
    state = executing_state()
    assert status_text(state.steps["rollout_undo"]) == (
        "▶ running · confirmed by alice@laptop", "running")
    assert status_text(None) == ("◌ not run yet", "muted")
    lost = StepState("x", StepStatus.INTERRUPTED)
    assert status_text(lost)[0].startswith("! interrupted — its outcome was never recorded")


def test_card_lines_for_the_running_undo() -> None:
    state = executing_state().steps["rollout_undo"]
    lines = [line_text(line) for line in card_lines(detail_of("rollout_undo"), state, 52, NOW)]
    assert lines[0].startswith("! DANGER · changes the live system")
    assert "$ kubectl rollout undo deployment/checkout \\" in lines
    assert "    --to-revision=2 -n production [y]" in lines
    assert "expect   deployment.apps/checkout rolled back" in lines
    assert "time     est 1m · elapsed 0:37" in lines
    assert any(line.startswith("request  PATCH deployments.apps/checkout") for line in lines)


def test_a_failed_step_says_what_to_do_next_and_a_dry_run_says_so() -> None:
    failed = StepState("verify_prerequisites", StepStatus.FAILED, started_at=None,
                       detail="2 of 8 permissions denied", request="POST selfsubjectaccessreviews",
                       dry_run=True)
    lines = [line_text(line) for line in card_lines(detail_of("verify_prerequisites"),
                                                    failed, 80, NOW)]
    assert "status   ✗ failed — 2 of 8 permissions denied" in lines
    assert "dry-run  POST selfsubjectaccessreviews" in lines
    assert any(line.startswith("next     Ask the cluster admin") for line in lines)


@pytest.mark.parametrize("width", [80, 52, 30, 20, 6])
def test_card_lines_never_exceed_the_width(width: int) -> None:
    state = replace(executing_state().steps["rollout_undo"], request="R" * 300,
                    reason="why " * 50, evidence="E" * 90)
    detail = replace(detail_of("rollout_undo"), point_of_no_return=True, on_failure="x " * 80)
    for line in card_lines(detail, state, width, NOW):
        assert line_width(line) <= width


def running_card() -> StepCard:
    state = executing_state()
    return StepCard(detail_of("rollout_undo"), state.steps["rollout_undo"], clock=fixed_clock)


async def test_y_copies_the_command_and_says_so() -> None:
    app = Harness(lambda: [running_card()])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == UNDO
        assert [n.message for n in app._notifications] == ["copied the command of step 8"]


async def test_y_copies_a_manual_steps_message_and_nothing_when_there_is_none() -> None:
    card = StepCard(detail_of("announce"), clock=fixed_clock)
    app = Harness(lambda: [card])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        assert app.clipboard == detail_of("announce").message
        app.copy_to_clipboard("")
        card.detail = replace(detail_of("announce"), message="")
        await pilot.pause()
        assert card.check_action("copy_command", ()) is None
        await pilot.press("y")
        assert app.clipboard == ""


async def test_output_streams_follows_the_tail_and_keeps_the_last_lines() -> None:
    card = running_card()
    app = Harness(lambda: [card])
    async with app.run_test(size=(80, 40)) as pilot:
        for n in range(250):
            card.append_output(f"progress line {n}")
        await pilot.pause()
        assert OUTPUT_LINES <= len(card.output) <= OUTPUT_LINES * 1.1
        assert card.output[-1] == "progress line 249"
        assert "▏progress line 249" in screen_text(app)


async def test_finished_output_replaces_the_stream_and_a_new_step_starts_empty() -> None:
    card = running_card()
    app = Harness(lambda: [card])
    async with app.run_test(size=(80, 30)) as pilot:
        card.append_output(PROGRESS[0])
        done = replace(executing_state().steps["rollout_undo"], status=StepStatus.OK,
                       finished_at="2026-11-30T04:26:40.000Z", output=["rolled back", "ok"])
        card.step_state = done
        await pilot.pause()
        assert card.output == ["rolled back", "ok"]
        assert card.has_class("-danger") and not card.has_class("-running")
        card.detail, card.step_state = detail_of("rollout_status"), None
        await pilot.pause()
        assert card.output == []
        assert "◌ not run yet" in screen_text(app)


def card_with_output() -> StepCard:
    card = running_card()
    card.call_after_refresh(lambda: [card.append_output(line) for line in PROGRESS])
    return card


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot(snap_compare, size: tuple[int, int], theme: str) -> None:
    """Step 8 (rollout undo, danger) running 0:37 of an estimated 1m, confirmed by alice,
    the PATCH it sent, two lines of rollout progress following the tail."""
    app = Harness(lambda: [card_with_output()], theme, pane=True)
    assert snap_compare(app, press=["_"], terminal_size=size)


def test_snapshot_failed_step(snap_compare) -> None:
    """The RBAC pre-check failed (dry run): status in the error colour, what to do next."""
    failed = StepState("verify_prerequisites", StepStatus.FAILED,
                       started_at="2026-11-30T04:24:31.000Z",
                       finished_at="2026-11-30T04:24:33.000Z", attempts=2, dry_run=True,
                       detail="2 of 8 permissions denied in production",
                       request="POST selfsubjectaccessreviews in namespace production",
                       output=["✓ get deployments.apps", "✗ patch deployments.apps",
                               "✗ watch deployments.apps"])
    app = Harness(lambda: [StepCard(detail_of("verify_prerequisites"), failed,
                                    clock=fixed_clock)], pane=True)
    assert snap_compare(app, terminal_size=(80, 24))
