"""Real kubectl against the drill: `kubectl logs` reads a record that keeps its timestamps.

Follow streams until the container stops, `--since`/`--since-time` cut the record, `--previous`
is the dead container's log as it was when it died, and `--timestamps` shows the same stamp for
the same line on every call.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool, wait_for

from tui.drill.clock import parse_rfc3339

NS = "production"
RUNTIME_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (.*)$")
CRASH = "panic: nil pointer dereference in payment client"


def stamped(text: str) -> list[tuple[str, str]]:
    """(runtime timestamp, line) pairs of `kubectl logs --timestamps`; fails on any other line."""
    found = []
    for line in text.splitlines():
        match = RUNTIME_STAMP.match(line)
        assert match, f"not a --timestamps line: {line!r}"
        found.append((match.group(1), match.group(2)))
    return found


def epoch(stamp: str) -> float:
    """Epoch seconds of an RFC 3339 time with nanoseconds (microseconds kept)."""
    return datetime.fromisoformat(stamp[:26] + "+00:00").astimezone(UTC).timestamp()


def pods(cluster: Any) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p for p in cluster.store.objects("pods", NS)}


def container_status(cluster: Any, name: str) -> dict[str, Any]:
    (status,) = cluster.store.require("pods", NS, name).obj["status"]["containerStatuses"]
    return status


def follow(info: Any, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """`kubectl logs -f ARGS…` as a process of its own (its own session, to kill it whole)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "KUBECONFIG": info.kubeconfig}
    return subprocess.Popen(
        [require_tool("kubectl"), "--cache-dir", info.extra["kubectl_cache_dir"], "logs", "-f",
         *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)


def finish(process: subprocess.Popen[str], timeout: float) -> tuple[int | None, str, str]:
    """The process's exit code (None: it did not end within timeout, and was killed) and output."""
    try:
        out, err = process.communicate(timeout=timeout)
        return process.returncode, out, err
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        return None, out, err


def test_logs_follow_streams_new_lines_until_the_pod_is_deleted(drill, kubectl,
                                                                tmp_path: Path) -> None:
    cluster, info = drill("bad-flag", speed=20)
    victim = min(pods(cluster))
    started = time.time()
    streaming = follow(info, tmp_path, victim, "--timestamps")
    try:
        time.sleep(2.5)  # 50 s of drill time: the running container writes more lines
        assert streaming.poll() is None, "kubectl logs -f ended while the container runs"
        deleted = kubectl(info, "delete", "pod", victim, "--wait=false")
        assert deleted.returncode == 0, deleted.stderr
        code, out, err = finish(streaming, timeout=10)
    finally:
        if streaming.poll() is None:
            os.killpg(streaming.pid, signal.SIGKILL)
            streaming.wait()
    assert code == 0, f"kubectl logs -f did not end when the pod was deleted: {err}"
    lines = stamped(out)
    later = [text for stamp, text in lines if epoch(stamp) > started + 0.5]
    assert len(later) >= 3, lines  # lines written after the stream opened reached it
    assert lines[-1][1].endswith("received SIGTERM, shutting down"), lines[-3:]
    assert [epoch(s) for s, _ in lines] == sorted(epoch(s) for s, _ in lines)


def test_logs_follow_ends_when_a_crash_looping_container_dies(drill, tmp_path: Path) -> None:
    cluster, info = drill("bad-release", speed=20)

    def running() -> str | None:
        """a crash-looping pod whose container runs again"""
        for name in pods(cluster):
            state = container_status(cluster, name)["state"]
            if "running" in state:
                return name
        return None

    name = wait_for("a running checkout container", running, timeout=40)
    started = container_status(cluster, name)["state"]["running"]["startedAt"]
    streaming = follow(info, tmp_path, name)
    code, out, err = finish(streaming, timeout=30)
    assert code == 0, f"kubectl logs -f did not end when the container crashed: {err}"
    lines = out.splitlines()
    assert lines[-1].endswith(CRASH), out[-300:]
    # The stream was this container's whole life, its crash stamped when it happened.
    assert lines[0].startswith(f"{started} starting {name} version 2.4.0"), lines[0]
    status = container_status(cluster, name)
    assert status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    terminated = status["lastState"]["terminated"]
    assert terminated["startedAt"] == started
    assert lines[-1] == f"{terminated['finishedAt']} {CRASH}"


def test_logs_since_and_since_time_cut_the_record(drill, kubectl) -> None:
    cluster, info = drill("bad-flag", speed=20)
    name = min(pods(cluster))
    time.sleep(1.0)
    full = stamped(kubectl(info, "logs", name, "--timestamps").stdout)
    assert len(full) >= 6, full
    middle_stamp, _ = full[len(full) // 2]
    cut = stamped(kubectl(info, "logs", name, "--timestamps",
                          f"--since-time={middle_stamp}").stdout)
    # kubectl sends sinceTime in whole seconds: the record from the start of that second.
    expected = [line for line in full if int(epoch(line[0])) >= int(epoch(middle_stamp))]
    assert 0 < len(expected) < len(full) and cut[: len(expected)] == expected
    asked = time.time()
    recent = stamped(kubectl(info, "logs", name, "--timestamps", "--since=2s").stdout)
    assert recent and len(recent) < len(full), (len(recent), len(full))
    assert all(epoch(stamp) >= asked - 2.5 for stamp, _ in recent), recent[:2]
    bad = kubectl(info, "logs", name, "--since-time=yesterday")
    assert bad.returncode != 0


def test_logs_timestamps_are_stable_across_calls(drill, kubectl) -> None:
    cluster, info = drill("bad-flag", speed=20)
    name = min(pods(cluster))
    first = stamped(kubectl(info, "logs", name, "--timestamps").stdout)
    time.sleep(1.0)
    second = stamped(kubectl(info, "logs", name, "--timestamps").stdout)
    # The same line keeps its stamp; the later call only adds lines written since (and, the
    # log being rotated at 2,000 lines, may have lost the oldest).
    kept = [line for line in first if epoch(line[0]) >= epoch(second[0][0])]
    assert len(kept) >= len(first) - 20 and second[: len(kept)] == kept
    assert epoch(second[-1][0]) > epoch(first[-1][0]) + 0.5
    # Without --timestamps the lines come bare: the application's own stamp, then its words.
    plain = kubectl(info, "logs", name).stdout.splitlines()
    assert plain and not any(RUNTIME_STAMP.match(line) for line in plain)
    assert plain[-1].split(" ", 1)[1] == second[-1][1].split(" ", 1)[1]


def test_logs_previous_is_the_dead_container_as_it_died(drill, kubectl) -> None:
    cluster, info = drill("bad-release", speed=20)
    name = min(pods(cluster))
    status = container_status(cluster, name)
    terminated = status["lastState"]["terminated"]
    previous = stamped(kubectl(info, "logs", name, "--previous", "--timestamps").stdout)
    assert previous[0][1].endswith(f"starting {name} version 2.4.0")
    assert previous[-1][1].endswith(CRASH)
    # The crash line is stamped when the container died, the first line when it started.
    assert int(epoch(previous[-1][0])) == int(parse_rfc3339(terminated["finishedAt"]))
    assert int(epoch(previous[0][0])) == int(parse_rfc3339(terminated["startedAt"]))
    assert previous[-1][1].startswith(terminated["finishedAt"] + " ")
    time.sleep(1.0)
    again = stamped(kubectl(info, "logs", name, "--previous", "--timestamps").stdout)
    if container_status(cluster, name)["restartCount"] == status["restartCount"]:
        assert again == previous  # a dead container's log no longer changes


def test_logs_previous_of_a_container_that_never_restarted_is_an_error(drill, kubectl) -> None:
    cluster, info = drill("bad-flag", speed=20)
    name = min(pods(cluster))
    result = kubectl(info, "logs", name, "--previous")
    assert result.returncode == 1
    assert (f'previous terminated container "checkout" in pod "{name}" not found'
            in result.stderr)


@pytest.mark.parametrize("flag", ["--tail=3", "--limit-bytes=40"])
def test_logs_tail_and_limit_bytes(drill, kubectl, flag: str) -> None:
    cluster, info = drill("bad-flag", speed=20)
    name = min(pods(cluster))
    result = kubectl(info, "logs", name, flag)
    assert result.returncode == 0, result.stderr
    if flag == "--tail=3":
        assert len(result.stdout.splitlines()) == 3
    else:
        assert len(result.stdout.encode()) == 40


def test_a_long_running_containers_log_keeps_its_newest_lines(drill, kubectl) -> None:
    cluster, info = drill("stuck-rollout", speed=20)
    # Pods of the stable revision have run for two hours: 28,800 lines at speed 20.
    name = min(name for name, pod in pods(cluster).items()
               if pod["status"]["containerStatuses"][0]["ready"])
    asked = time.time()
    lines = stamped(kubectl(info, "logs", name, "--timestamps").stdout)
    assert len(lines) == 2000
    assert asked - 1 <= epoch(lines[-1][0]) <= asked + 1
    assert [epoch(s) for s, _ in lines] == sorted(epoch(s) for s, _ in lines)
