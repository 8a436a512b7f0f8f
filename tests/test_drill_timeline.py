"""Real kubectl against the drill: one timeline. A ReplicaSet is created before its pods, events
are stamped when they happened, and AGE, restart times, event ages and the metrics' turn agree.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from tui.drill.clock import parse_rfc3339
from tui.drill.controller import REVISION

NS = "production"
RELEASE_AGE = 600.0  # the scenarios' default release_age (10m)


def kubectl_json(kubectl: Any, info: Any, *args: str) -> dict[str, Any]:
    result = kubectl(info, *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def stamp(obj: dict[str, Any], field: str = "creationTimestamp") -> float:
    return parse_rfc3339(obj["metadata"][field] if field == "creationTimestamp" else obj[field])


def seconds(age: str) -> int:
    """A kubectl AGE cell (2m10s, 61m, 4h) in seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smhd])", age))


def test_replicasets_are_created_before_their_pods(drill, kubectl) -> None:
    for scenario in ("bad-release", "stuck-rollout", "blue-green"):
        _, info = drill(scenario, speed=20)
        rses = {rs["metadata"]["uid"]: rs
                for rs in kubectl_json(kubectl, info, "get", "rs", "-A")["items"]}
        pods = kubectl_json(kubectl, info, "get", "pods", "-A")["items"]
        assert pods
        for pod in pods:
            (owner,) = pod["metadata"]["ownerReferences"]
            rs = rses[owner["uid"]]
            # Created by its ReplicaSet, within the minute of its rolling update.
            assert 0 <= stamp(pod) - stamp(rs) <= 60, (scenario, pod["metadata"]["name"])


def test_the_release_went_out_when_the_metrics_turned(drill, kubectl) -> None:
    cluster, info = drill("bad-release", speed=20)
    now = time.time()
    deployment = kubectl_json(kubectl, info, "get", "deploy", "checkout")
    current = deployment["metadata"]["annotations"][REVISION]
    (release,) = [rs for rs in kubectl_json(kubectl, info, "get", "rs")["items"]
                  if rs["metadata"]["annotations"][REVISION] == current]
    released = stamp(release)
    assert abs(now - RELEASE_AGE - released) <= 2
    # The deployment controller's events of that rollout, stamped then, in order.
    events = [e for e in kubectl_json(kubectl, info, "get", "events")["items"]
              if e["reason"] == "ScalingReplicaSet"]
    name = release["metadata"]["name"]
    ups = [e for e in events if e["message"].startswith(f"Scaled up replica set {name} to ")]
    assert [e["message"].split(" to ")[1] for e in ups] == ["1 from 0", "2 from 1", "3 from 2"]
    times = [stamp(e, "lastTimestamp") for e in ups]
    assert times == sorted(times) and released - 1 <= times[0] and times[-1] <= released + 60
    # The Progressing condition says the rollout finished then, not when the drill started.
    (progressing,) = [c for c in deployment["status"]["conditions"]
                      if c["type"] == "Progressing"]
    assert progressing["reason"] == "NewReplicaSetAvailable"
    assert released <= parse_rfc3339(progressing["lastUpdateTime"]) <= released + 60
    # The error ratio turns at the same moment: the baseline before, the bad release after.
    before = cluster.traffic.rates("checkout", released - 5, 60)
    after = cluster.traffic.rates("checkout", released + 120, 60)
    assert before is not None and after is not None
    assert before["error_ratio"] < 0.01 and after["error_ratio"] > 0.1


def test_pod_events_are_stamped_when_they_happened(drill, kubectl) -> None:
    _, info = drill("bad-release", speed=20)
    asked = time.time()
    pods = {p["metadata"]["name"]: p
            for p in kubectl_json(kubectl, info, "get", "pods")["items"]}
    events = kubectl_json(kubectl, info, "get", "events")["items"]
    for name, pod in pods.items():
        created = stamp(pod)
        mine = {e["reason"]: e for e in events if e["involvedObject"]["name"] == name}
        assert stamp(mine["Scheduled"], "firstTimestamp") == created
        (made,) = [e for e in events if e["message"] == f"Created pod: {name}"]
        assert stamp(made, "firstTimestamp") == created
        (status,) = pod["status"]["containerStatuses"]
        last_start = status["state"].get("running", status["lastState"]["terminated"])
        started = mine["Started"]
        # Started once per container, first when the pod's first container started.
        assert started["count"] == status["restartCount"] + 1
        assert created <= stamp(started, "firstTimestamp") <= created + 60
        assert stamp(started, "lastTimestamp") == parse_rfc3339(last_start["startedAt"])
        backoff = mine["BackOff"]
        first_crash = stamp(backoff, "firstTimestamp")
        assert stamp(started, "firstTimestamp") < first_crash <= stamp(backoff, "lastTimestamp")
        assert stamp(backoff, "lastTimestamp") <= asked + 1


def test_ages_restart_times_and_event_ages_agree(drill, kubectl) -> None:
    cluster, info = drill("bad-release", speed=1)
    pods = {p["metadata"]["name"]: p for p in cluster.store.objects("pods", NS)}
    listed = kubectl(info, "get", "pods")
    now = time.time()
    for line in listed.stdout.splitlines()[1:]:
        name, _ready, _status, restarts, age = re.split(r"\s{2,}", line.strip())
        pod = pods[name]
        assert abs(seconds(age) - (now - stamp(pod))) <= 2, line
        (status,) = pod["status"]["containerStatuses"]
        count, ago = re.fullmatch(r"(\d+) \((\S+) ago\)", restarts).groups()  # type: ignore
        finished = parse_rfc3339(status["lastState"]["terminated"]["finishedAt"])
        assert int(count) == status["restartCount"] and abs(seconds(ago) - (now - finished)) <= 2
        # Ten minutes of crash-looping at speed 1: back-offs of 10, 20, 40, 80, 160 s and runs
        # of 20 to 60 s between them leave room for three to six restarts.
        assert 3 <= int(count) <= 6, line
    described = kubectl(info, "describe", "pod", min(pods)).stdout
    events = described.split("\nEvents:", 1)[1]
    scheduled = re.search(r"Normal\s+Scheduled\s+(\S+)\s+default-scheduler", events)
    assert scheduled and abs(seconds(scheduled.group(1)) - (now - stamp(pods[min(pods)]))) <= 2
    over = re.search(r"Warning\s+BackOff\s+\S+ \(x\d+ over (\S+)\)", events)
    # The first back-off came with the first crash: after the pod started, within its AGE.
    assert over and seconds(over.group(1)) < now - stamp(pods[min(pods)])
