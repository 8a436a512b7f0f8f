"""Real kubectl against the drill: a crash-looping release looks like one.

The kubelet's restart back-off (10 s doubling to 5 minutes, reset once a container ran 10
minutes) keeps the pods `0/1 CrashLoopBackOff` most of the time, at speed 1 as at speed 20;
`BackOff` and readiness-probe `Unhealthy` warnings are among the events, and the last
termination has its own start, finish, exit code and reason.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_for

from tui.drill.clock import DrillClock, parse_rfc3339
from tui.drill.podsim import BACKOFF_BASE, BACKOFF_CAP, BACKOFF_RESET, PodSim
from tui.drill.podstatus import go_duration

NS = "production"


def kubectl_json(kubectl: Any, info: Any, *args: str) -> dict[str, Any]:
    result = kubectl(info, *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def rows(text: str) -> list[list[str]]:
    """The rows of a kubectl table, cells split on runs of spaces (no cell here has two)."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()[1:] if line.strip()]


@pytest.mark.parametrize("speed", [1, 20])
def test_crash_looping_pods_show_crashloopbackoff_most_of_the_time(drill, kubectl,
                                                                   speed: int) -> None:
    _, info = drill("bad-release", speed=speed)
    states: list[tuple[str, str]] = []
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline:
        result = kubectl(info, "get", "pods")
        assert result.returncode == 0, result.stderr
        states += [(row[1], row[2]) for row in rows(result.stdout)]
        time.sleep(0.5)
    backing_off = states.count(("0/1", "CrashLoopBackOff"))
    assert len(states) >= 30
    assert backing_off / len(states) > 0.6, states
    assert {status for _, status in states} <= {"CrashLoopBackOff", "Running"}


def test_the_waiting_message_names_the_back_off_and_it_lasts_that_long(drill, kubectl) -> None:
    cluster, info = drill("bad-release", speed=20)
    pods = kubectl_json(kubectl, info, "get", "pods")["items"]
    waiting = [p for p in pods
               if "waiting" in p["status"]["containerStatuses"][0]["state"]]
    assert waiting, "no pod waits out a back-off"
    for pod in waiting:
        name, uid = pod["metadata"]["name"], pod["metadata"]["uid"]
        (status,) = pod["status"]["containerStatuses"]
        # Ten minutes of crash-looping: the back-off has reached its five-minute cap.
        assert status["state"]["waiting"] == {
            "reason": "CrashLoopBackOff",
            "message": f"back-off 5m0s restarting failed container=checkout "
                       f"pod={name}_{NS}({uid})"}
    name = waiting[0]["metadata"]["name"]
    crashed = parse_rfc3339(waiting[0]["status"]["containerStatuses"][0]["lastState"]
                            ["terminated"]["finishedAt"])

    def restarted() -> dict[str, Any] | None:
        """the waiting pod's container running again"""
        (status,) = cluster.store.require("pods", NS, name).obj["status"]["containerStatuses"]
        return status if "running" in status["state"] else None

    status = wait_for("the restart after the back-off", restarted, timeout=25, every=0.05)
    started = parse_rfc3339(status["state"]["running"]["startedAt"])
    # Five minutes of drill time at speed 20: 15 s (whole-second stamps: ±1 s each).
    assert 13 <= started - crashed <= 17, started - crashed


def test_backoff_doubles_from_ten_seconds_to_five_minutes(drill, kubectl) -> None:
    cluster, info = drill("bad-release", speed=100)
    backoffs: dict[int, str] = {}  # restart count -> the back-off waited before the next

    def record(event: Any) -> None:
        if event.resource == "pods" and event.type == "MODIFIED":
            for status in event.entry.obj["status"].get("containerStatuses") or []:
                waiting = status["state"].get("waiting") or {}
                if waiting.get("reason") == "CrashLoopBackOff" and (
                        pod_name in waiting["message"]):
                    backoffs[status["restartCount"]] = waiting["message"].split(" ")[1]

    # Back to revision 2 and forward to 2.4.0 again: fresh pods whose back-off starts over.
    assert kubectl(info, "rollout", "undo", "deploy/checkout").returncode == 0
    assert kubectl(info, "rollout", "status", "deploy/checkout", "--timeout=60s"
                   ).returncode == 0
    assert kubectl(info, "rollout", "undo", "deploy/checkout").returncode == 0
    new = wait_for("a new 2.4.0 pod", lambda: [
        p["metadata"]["name"] for p in cluster.store.objects("pods", NS)
        if p["spec"]["containers"][0]["image"].endswith(":2.4.0")
        and "deletionTimestamp" not in p["metadata"]])
    pod_name = new[0]
    cluster.store.add_listener(record)
    wait_for("seven back-offs", lambda: len(backoffs) >= 7, timeout=40)
    expected = ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s", "5m0s"]
    first = min(backoffs)  # (the first crash may come before the listener)
    assert first <= 1 and [backoffs[n] for n in sorted(backoffs)][:6] == expected[first:6 + first]


def test_backoff_resets_after_ten_minutes_running(drill) -> None:
    cluster, _ = drill("bad-release", speed=20)
    lifecycles = cluster.controllers.pods
    pod = next(iter(cluster.store.objects("pods", NS)))
    clock: DrillClock = cluster.clock
    now = clock.now()
    for ran, before, after in [(clock.scaled(BACKOFF_RESET - 30), BACKOFF_CAP, BACKOFF_CAP),
                               (clock.scaled(BACKOFF_RESET + 30), BACKOFF_CAP, BACKOFF_BASE),
                               (clock.scaled(20), 40.0, 80.0)]:
        sim = PodSim(lifecycles.sims[(NS, pod["metadata"]["name"])].behavior, now - 3600,
                     stage="running", ready=True, started_at=now - ran, backoff=before,
                     ready_since=now - ran, instance=3, quiet=True)
        sim.extra["ip"] = "10.244.0.99"
        lifecycles._crash(pod, sim, now)
        assert (sim.stage, sim.backoff) == ("backoff", after), (ran, before)
        assert sim.restart_at == pytest.approx(now + clock.scaled(after))
    assert [go_duration(s) for s in (10, 80, 160, 300)] == ["10s", "1m20s", "2m40s", "5m0s"]


def test_backoff_and_unhealthy_warnings_among_the_events(drill, kubectl) -> None:
    cluster, info = drill("bad-release", speed=20)
    events = kubectl_json(kubectl, info, "get", "events", "--field-selector", "type=Warning")
    pods = {p["metadata"]["name"]: p for p in cluster.store.objects("pods", NS)}
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events["items"]:
        seen[(event["involvedObject"]["name"], event["reason"])] = event
    for name, pod in pods.items():
        ip, uid = pod["status"]["podIP"], pod["metadata"]["uid"]
        unhealthy = seen[(name, "Unhealthy")]
        assert unhealthy["message"] == (f'Readiness probe failed: Get "http://{ip}:8080/health": '
                                        f"dial tcp {ip}:8080: connect: connection refused")
        assert unhealthy["source"]["component"] == "kubelet"
        backoff = seen[(name, "BackOff")]
        assert backoff["message"] == ("Back-off restarting failed container checkout in pod "
                                      f"{name}_{NS}({uid})")
        assert backoff["count"] > 1  # repeated while each back-off lasts
    text = kubectl(info, "describe", "pod", min(pods)).stdout
    assert re.search(r"Warning\s+BackOff\s+\S+ \(x\d+ over \S+\)\s+kubelet\s+Back-off restarting",
                     text), text.split("Events:")[-1]
    assert re.search(r"Warning\s+Unhealthy\s+\S+ \(x\d+ over \S+\)\s+kubelet\s+Readiness probe "
                     "failed", text)


def test_last_state_terminated_has_its_own_times(drill, kubectl, tmp_path: Path) -> None:
    _, info = drill("bad-release", speed=20)
    asked = time.time()
    for pod in kubectl_json(kubectl, info, "get", "pods")["items"]:
        (status,) = pod["status"]["containerStatuses"]
        last = status["lastState"]["terminated"]
        assert (last["exitCode"], last["reason"]) == (1, "Error")
        started, finished = parse_rfc3339(last["startedAt"]), parse_rfc3339(last["finishedAt"])
        created = parse_rfc3339(pod["metadata"]["creationTimestamp"])
        # A run of its own (20 to 60 drill seconds: 1 to 3 s at speed 20), after the pod was
        # created and before now; not the pod's creation time.
        assert created < started < finished <= asked + 1
        assert 0 <= finished - started <= 4, (last, pod["metadata"]["name"])
        assert last["containerID"].startswith("containerd://")
        state = status["state"]
        if "waiting" in state:
            assert status["containerID"] == last["containerID"]  # the dead one
        else:
            assert parse_rfc3339(state["running"]["startedAt"]) >= finished
            assert status["containerID"] != last["containerID"]
    described = kubectl(info, "describe", "pods").stdout
    assert len(re.findall(r"Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1\n"
                          r"\s+Started:\s+\w{3}, .+\n\s+Finished:\s+\w{3}, ", described)) == 3
