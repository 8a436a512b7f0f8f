"""Resume after a crash, and idempotent rollback, end to end against the drill over real HTTP.

A headless revert is killed with SIGKILL at 20 moments spread over every phase, then
`rollback resume ID --headless --yes` finishes it. Every one must end with the deployment on
the frozen target (never the bad release again), the app healthy, the journal verifying and the
interrupted step marked as such. Running the revert twice must change nothing the second time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_run_headless import (
    SPEED,
    _argv,
    _environ,
    assert_verifies,
    events,
    explain,
    finished,
    image,
    journal,
    revisions,
    rollback,
    rollback_run,
    served_version,
    the_incident,
)


@dataclass(frozen=True)
class Moment:
    """Kill the run right after the journal line matching (type, step_id) appears, + delay."""

    name: str
    event_type: str
    step_id: str | None = None
    delay: float = 0.0
    nth: int = 1


MOMENTS = [
    Moment("opened", "incident.opened"),
    Moment("decided", "decision.recorded"),
    Moment("connected", "cluster.connected"),
    Moment("rbac-checked", "rbac.checked"),
    Moment("target-frozen", "target.resolved"),
    Moment("during-baselines", "baseline.captured"),
    Moment("baselines-frozen", "baselines.frozen"),
    Moment("manual-step", "step.started", "announce"),
    Moment("after-status-page", "step.finished", "status_page"),
    Moment("during-snapshot", "step.started", "snapshot"),
    Moment("during-history", "step.started", "identify_previous"),
    Moment("undo-confirmed", "confirmation.answered", "rollout_undo"),
    Moment("inside-undo", "step.started", "rollout_undo"),
    Moment("inside-undo-later", "step.started", "rollout_undo", delay=0.15),
    Moment("after-undo", "step.finished", "rollout_undo"),
    Moment("during-rollout-status", "step.started", "rollout_status", delay=0.3),
    Moment("late-rollout-status", "step.started", "rollout_status", delay=1.5),
    Moment("during-metric-watch", "step.started", "error_rate", delay=1.0),
    Moment("during-verification", "check.recorded", None),
    Moment("late-verification", "check.recorded", None, nth=4),
]


def _matches(line: bytes, moment: Moment) -> bool:
    try:
        event = json.loads(line)
    except ValueError:
        return False
    if event.get("type") != moment.event_type:
        return False
    return moment.step_id is None or event.get("data", {}).get("step_id") == moment.step_id


def _run_and_kill(info: Any, home: Path, moment: Moment) -> dict[str, Any]:
    """Start the headless revert and SIGKILL it at `moment`; return what was seen then."""
    # Latency on every API call keeps the undo's requests in flight long enough to land a
    # kill inside it (between its journaled start and end).
    process = subprocess.Popen(_argv(info, "revert-deployment", "--json"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=_environ())
    root = home / "data" / "incidents"
    deadline = time.monotonic() + 120
    killed = threading.Event()
    seen: dict[str, Any] = {}
    try:
        while time.monotonic() < deadline and process.poll() is None:
            folders = sorted(root.glob("*/journal.jsonl")) if root.is_dir() else []
            if folders:
                lines = folders[0].read_bytes().split(b"\n")
                hits = [line for line in lines if _matches(line, moment)]
                if len(hits) >= moment.nth:
                    time.sleep(moment.delay)
                    os.kill(process.pid, signal.SIGKILL)
                    killed.set()
                    seen["folder"] = folders[0].parent
                    break
            time.sleep(0.002)
    finally:
        if process.poll() is None and not killed.is_set():
            process.kill()
        process.wait(timeout=30)
    assert killed.is_set(), (f"{moment.name}: the run ended (exit {process.returncode}) "
                             f"before the moment came\n{process.stderr.read().decode()}")
    return seen


def _unfinished(folder: Path) -> set[str]:
    started = {d["step_id"] for d in events(folder, "step.started")}
    return started - set(finished(folder))


@pytest.mark.slow
@pytest.mark.parametrize("moment", MOMENTS, ids=[m.name for m in MOMENTS])
def test_sigkill_then_resume_finishes_on_the_target(moment: Moment, drill, kubectl,
                                                    rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED, faults=["latency=40ms"])
    seen = _run_and_kill(info, rollback_home, moment)
    folder = seen["folder"]
    interrupted = _unfinished(folder)

    result = rollback("resume", folder.name, "--headless", "--yes", "--json", timeout=240)

    assert result.returncode == 0, f"{moment.name}: {explain(result)}"
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["type"] == "incident" and "resumed" in lines[0]["message"]
    # The deployment is on the frozen target: rev 4 is revision 2's template (2.3.1), and the
    # bad release was never deployed again (no revision 5).
    assert revisions(kubectl, info) == [1, 3, 4], moment.name
    assert image(kubectl, info).endswith(":2.3.1")
    assert served_version(info) == "2.3.1"
    assert httpx.get(info.extra["params"]["health_url"], timeout=5).status_code == 200
    assert_verifies(folder)
    resumed = events(folder, "session.resumed")
    assert len(resumed) == 1
    # The step that was running when the process died is reported as interrupted, and
    # finished by the resumed session.
    assert set(resumed[0]["interrupted_steps"]) == interrupted, moment.name
    done = finished(folder)
    for step in interrupted:
        # Done again by the resumed session (a manual step is skipped headless, as ever).
        assert done[step]["status"] in ("ok", "skipped"), (step, done[step])
    targets = events(folder, "target.resolved")
    assert len(targets) == 1 and targets[0]["version"] == "2.3.1"
    shown = rollback("incidents", "show", folder.name)
    assert shown.returncode == 0, explain(shown)


def test_inside_the_undo_is_resolved_by_evidence_or_confirmed_rerun(drill, kubectl,
                                                                    rollback_home: Path) -> None:
    # Killed right after the undo's start was journaled: on resume the undo is either proven
    # done by the live template (marked done with that evidence) or, its effect not visible,
    # run again only because --yes confirmed it.
    _cluster, info = drill("bad-release", speed=SPEED, faults=["latency=40ms"])
    seen = _run_and_kill(info, rollback_home, Moment("undo", "step.started", "rollout_undo"))
    folder = seen["folder"]
    assert "rollout_undo" in _unfinished(folder)

    result = rollback("resume", folder.name, "--headless", "--yes", timeout=240)

    assert result.returncode == 0, explain(result)
    assert "step rollout_undo was interrupted" in result.stdout
    undo = [e for e in journal(folder) if e.get("data", {}).get("step_id") == "rollout_undo"]
    final = [e for e in undo if e["type"] == "step.finished"][-1]["data"]
    if final.get("evidence"):
        assert "live template of deployment checkout is the target's" in final["evidence"]
    else:
        answered = [e["data"] for e in undo if e["type"] == "confirmation.answered"]
        assert answered[-1]["rerun"] is True and answered[-1]["answer"] is True
    assert revisions(kubectl, info) == [1, 3, 4]


def test_running_the_revert_twice_changes_nothing_the_second_time(drill, kubectl,
                                                                  rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    first = rollback_run(info, "revert-deployment")
    assert first.returncode == 0, explain(first)
    assert revisions(kubectl, info) == [1, 3, 4]

    second = rollback_run(info, "revert-deployment")

    assert second.returncode == 0, explain(second)
    assert "already at revision 4 (2.3.1); nothing changed" in second.stdout
    assert "the frozen target rev 4 (2.3.1) is already live" in second.stdout
    assert revisions(kubectl, info) == [1, 3, 4]
    assert image(kubectl, info).endswith(":2.3.1")
    assert served_version(info) == "2.3.1"
    folders = sorted((rollback_home / "data" / "incidents").iterdir())
    assert len(folders) == 2
    undo = finished(folders[1])["rollout_undo"]
    assert undo["status"] == "ok" and undo["data"]["changed"] is False
    target = events(folders[1], "target.resolved")[0]
    assert (target["revision"], target["live_revision"]) == (4, 4)


def test_resume_refuses_a_changed_runbook(drill, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    user = rollback_home / "config" / "runbooks"
    user.mkdir(parents=True)
    source = Path(__file__).resolve().parent.parent / "runbooks" / "revert-deployment.yaml"
    book = user / "revert-deployment.yaml"
    book.write_text(source.read_text())
    seen = _run_and_kill(info, rollback_home, Moment("opened", "decision.recorded"))
    book.write_text(source.read_text().replace("Announce rollback", "Announce the rollback"))

    result = rollback("resume", seen["folder"].name, "--headless", "--yes")

    assert result.returncode == 2, explain(result)
    assert "changed since incident" in result.stderr and "sha256" in result.stderr
    assert events(seen["folder"], "session.resumed") == []


def test_resume_refuses_while_another_process_holds_the_incident(drill,
                                                                 rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    process = subprocess.Popen(_argv(info, "revert-deployment"), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=_environ())
    try:
        root = rollback_home / "data" / "incidents"
        deadline = time.monotonic() + 30
        while not list(root.glob("*/journal.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.05)
        folder = the_incident(rollback_home)
        result = rollback("resume", folder.name, "--headless", "--yes")
        assert result.returncode != 0, explain(result)
        assert f"rollback follow {folder.name}" in result.stderr
        assert f"pid {process.pid}" in result.stderr
    finally:
        process.kill()
        process.wait()


@pytest.mark.slow
def test_blue_green_and_full_system_twice_change_nothing_the_second_time(
        drill, kubectl, rollback_home: Path) -> None:
    import secrets

    from test_run_headless import jsonpath

    _cluster, info = drill("blue-green", speed=SPEED)
    for _ in range(2):
        result = rollback_run(info, "blue-green-switchback")
        assert result.returncode == 0, explain(result)
    assert jsonpath(kubectl, info, "service/checkout", "{.spec.selector.version}") == "blue"
    assert served_version(info) == "2.3.1"

    _cluster, info = drill("full-release", speed=SPEED)
    token = {"ROLLBACK_PARAM_FLAG_API_TOKEN": "flag-token-" + secrets.token_hex(8)}
    first = rollback_run(info, "full-system-rollback", env=token)
    assert first.returncode == 0, explain(first)
    after_first = {d: revisions(kubectl, info, d) for d in ("checkout", "checkout-worker")}
    second = rollback_run(info, "full-system-rollback", env=token)
    assert second.returncode == 0, explain(second)
    assert second.stdout.count("nothing changed") == 2, second.stdout
    assert {d: revisions(kubectl, info, d) for d in ("checkout", "checkout-worker")} == \
        after_first
    assert image(kubectl, info, "checkout-worker").endswith(":2.3.1")
