"""`rollback follow ID` as a real process, while another process writes the incident."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import rollback_argv

from tui.adapters.journal import JOURNAL_FILE, JournalWriter, incident_dir, new_incident_id
from tui.app.paths import resolve_paths
from tui.domain.incident import canonical_line, line_hash

LATENCY_LIMIT_S = 1.0

# Holds the incident's lock and appends each event it reads on stdin (one JSON [type, data]
# per line), printing "seq wall-clock-time" once the event is durable.
WRITER = """
import json, sys, time
from pathlib import Path
from tui.adapters.journal import JournalWriter
with JournalWriter(Path(sys.argv[1]), actor="alice@laptop") as writer:
    print("ready", flush=True)
    for line in sys.stdin:
        kind, data = json.loads(line)
        event = writer.append_durable(kind, data)
        print(event.seq, time.time(), flush=True)
"""


def new_folder(slug: str = "checkout") -> tuple[str, Path]:
    incident_id = new_incident_id(slug, datetime.now(UTC))
    folder = incident_dir(resolve_paths(), incident_id)
    folder.mkdir(parents=True)
    return incident_id, folder


def incident_with(*events: tuple[str, dict]) -> tuple[str, Path]:
    """A new incident, opened (title "t") and then given `events`, its writer closed."""
    incident_id, folder = new_folder()
    with JournalWriter(folder, actor="alice@laptop") as writer:  # closing makes all durable
        writer.append("incident.opened", {"incident_id": incident_id, "title": "t"})
        for kind, data in events:
            writer.append(kind, data)
    return incident_id, folder


class Lines:
    """A process's stdout lines, each stamped with the wall-clock time it was read."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(process,), daemon=True).start()

    def _pump(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.queue.put((time.time(), line.rstrip("\n")))

    def until(self, needle: str, timeout: float = 10.0) -> tuple[float, str]:
        """The first line from now on containing `needle`, with when it arrived."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no line with {needle!r} within {timeout}s; saw {self.seen}")
            try:
                arrived, line = self.queue.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            if needle in line:
                return arrived, line


def start_follow(*args: str) -> tuple[subprocess.Popen[str], Lines]:
    # Ctrl-C must reach the child as it does from a terminal's shell: a SIGINT ignored or
    # blocked in this test process (the child would inherit it) must not decide the test.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    process = subprocess.Popen([*rollback_argv(), "follow", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    return process, Lines(process)


def signal_state(pid: int) -> str:
    """The process's signal and thread lines from /proc, for a failure message."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError as exc:
        return f"no /proc status: {exc}"
    return "; ".join(line for line in status.splitlines()
                     if line.startswith(("State", "Threads", "SigBlk", "SigIgn", "SigCgt")))


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_follower_sees_each_event_another_process_appends_within_a_second() -> None:
    incident_id, folder = new_folder()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=os.environ.copy())
    assert writer.stdin is not None and writer.stdout is not None
    follower = None
    try:
        assert writer.stdout.readline().strip() == "ready"

        def append(kind: str, data: dict) -> float:
            writer.stdin.write(json.dumps([kind, data]) + "\n")
            writer.stdin.flush()
            return float(writer.stdout.readline().split()[1])

        append("incident.opened", {"incident_id": incident_id, "title": "checkout 5xx",
                                   "runbook_id": "revert-deployment", "headless": True})
        follower, lines = start_follow(incident_id, "--plain")
        _, header = lines.until("following")
        assert f"written by pid {writer.pid}" in header  # names who holds the incident
        lines.until("opened: checkout 5xx")
        latencies = []
        for i in range(8):
            durable = append("note.added", {"text": f"marker-{i}"})
            arrived, line = lines.until(f"marker-{i}")
            latencies.append(arrived - durable)
            assert line.endswith(f"• note by alice@laptop: marker-{i}")
        durable = append("step.started", {"step_id": "undo", "title": "Deploy previous version",
                                          "confirmed_by": "alice@laptop"})
        arrived, _ = lines.until("▶ step undo started: Deploy previous version")
        latencies.append(arrived - durable)
        durable = append("incident.resolved", {"outcome": "rolled back", "status": "SUCCESS"})
        arrived, _ = lines.until("■ incident resolved: SUCCESS")
        latencies.append(arrived - durable)
        print(f"follow latencies (ms): {[round(x * 1000, 1) for x in latencies]}")
        assert all(x < LATENCY_LIMIT_S for x in latencies), latencies
        assert follower.wait(timeout=10) == 0  # exits once the incident is resolved
        assert follower.stderr is not None and follower.stderr.read() == ""
    finally:
        writer.stdin.close()
        writer.wait(timeout=10)
        if follower is not None:
            stop(follower)
    assert writer.returncode == 0


def append_raw(folder: Path, line: bytes) -> None:
    with (folder / JOURNAL_FILE).open("ab") as handle:
        handle.write(line)


def raw(seq: int, prev: str, kind: str, data: dict) -> bytes:
    return canonical_line({"v": 1, "seq": seq, "ts": "2026-11-30T04:12:07.000Z",
                           "actor": "bob@host", "type": kind, "data": data, "prev": prev})


def test_a_broken_chain_is_a_warning_and_following_goes_on() -> None:
    incident_id, folder = incident_with()
    follower, lines = start_follow(incident_id)
    try:
        lines.until("opened: t")
        forged = raw(2, "f" * 64, "note.added", {"text": "forged"})
        append_raw(folder, forged)
        lines.until("! journal: line 2: prev does not match")
        lines.until("note by bob@host: forged")  # reported, and still shown
        append_raw(folder, raw(3, line_hash(forged), "incident.resolved", {"outcome": "ok"}))
        lines.until("incident resolved: ok")
        assert follower.wait(timeout=10) == 0
    finally:
        stop(follower)


def test_ctrl_c_exits_quietly_with_130() -> None:
    incident_id, _ = incident_with()
    follower, lines = start_follow(incident_id)
    try:
        _, header = lines.until("following")
        assert "no session is writing this incident now" in header
        follower.send_signal(signal.SIGINT)
        try:
            code = follower.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the follower ignored Ctrl-C: {signal_state(follower.pid)}")
        assert code == 130
        assert follower.stderr is not None and follower.stderr.read() == ""
    finally:
        stop(follower)


def test_a_resolved_incident_prints_and_exits_and_tail_limits_the_start(run_cli) -> None:
    notes = [("note.added", {"text": f"n{i}"}) for i in range(5)]
    incident_id, _ = incident_with(
        *notes, ("incident.resolved", {"outcome": "success", "status": "SUCCESS"}))
    whole = run_cli("follow", incident_id)
    assert whole.returncode == 0, whole.stderr
    assert [line.split(" ", 1)[1] for line in whole.stdout.splitlines()[1:]] == [
        f"▶ incident {incident_id} opened: t", *(f"• note by alice@laptop: n{i}"
                                                 for i in range(5)),
        "■ incident resolved: SUCCESS"]
    last_two = run_cli("follow", incident_id, "--tail", "2")
    assert last_two.stdout.splitlines()[1].endswith("• 5 earlier events not shown")
    assert [line.split(" ", 1)[1] for line in last_two.stdout.splitlines()[2:]] == [
        "• note by alice@laptop: n4", "■ incident resolved: SUCCESS"]
    assert run_cli("follow", incident_id, "--tail", "-1").returncode == 2


def test_a_writer_that_dies_mid_step_is_announced() -> None:
    incident_id, folder = new_folder()
    code = ("import os, sys, time\nfrom pathlib import Path\n"
            "from tui.adapters.journal import JournalWriter\n"
            "w = JournalWriter(Path(sys.argv[1]), actor='a@h').open()\n"
            "w.append_durable('incident.opened', {'title': 't'})\n"
            "w.append_durable('step.started', {'step_id': 'undo', 'title': 'Undo'})\n"
            "print('ok', flush=True)\nsys.stdin.readline()\nos._exit(1)\n")
    writer = subprocess.Popen([sys.executable, "-c", code, str(folder)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=os.environ.copy())
    assert writer.stdout is not None and writer.stdin is not None
    assert writer.stdout.readline().strip() == "ok"
    follower, lines = start_follow(incident_id)
    try:
        lines.until(f"written by pid {writer.pid}")
        lines.until("step undo started")
        writer.stdin.close()  # the writer "crashes": its lock record stays behind
        writer.wait(timeout=10)
        _, line = lines.until("has stopped")
        assert "! session:" in line and "step undo was running — check before re-running" in line
    finally:
        stop(follower)


def test_unknown_id_is_a_usage_error_naming_the_nearest(run_cli) -> None:
    incident_id, _ = incident_with()
    result = run_cli("follow", incident_id[:-1] + "x")
    assert result.returncode == 2
    assert result.stderr.startswith("rollback: no incident")
    assert f"nearest: {incident_id}" in result.stderr and "Traceback" not in result.stderr
    assert run_cli("follow", "../../etc").returncode == 2


def test_incidents_show_prints_the_timeline_in_the_same_words(run_cli) -> None:
    notes = [("note.added", {"text": f"n{i}"}) for i in range(25)]
    incident_id, _ = incident_with(
        ("step.started", {"step_id": "undo", "title": "Undo\x1b[2J"}), *notes,
        ("step.finished", {"step_id": "undo", "status": "failed", "detail": "boom"}))
    result = run_cli("incidents", "show", incident_id)
    timeline = result.stdout.split("Timeline", 1)[1]
    assert "last 20 of 28 events" in timeline
    assert "✗ step undo failed: boom" in timeline and "• note by alice@laptop: n24" in timeline
    assert f"(all of it: rollback follow {incident_id})" in timeline
    assert "\x1b" not in timeline
