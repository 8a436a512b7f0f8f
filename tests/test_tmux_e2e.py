"""The whole product as a person uses it, in tmux: `rollback drill`, typed keys, a SIGKILL
during the undo, `rollback resume`, the incident finished — while a second pane runs
`rollback follow ID` and shows each step within a second of its being journaled."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool

SPEED = 20
SESSION = "rb"


class Tmux:
    """A private tmux server with one window: the operator's pane and the follower's."""

    def __init__(self, home: Path, socket: str) -> None:
        self.binary = require_tool("tmux")
        self.socket = socket
        bindir = str(Path(sys.executable).parent)
        self.env = {**os.environ, "ROLLBACK_HOME": str(home), "TERM": "xterm-256color",
                    "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}

    def run(self, *args: str) -> str:
        result = subprocess.run([self.binary, "-L", self.socket, *args], capture_output=True,
                                text=True, env=self.env, timeout=30, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self) -> None:
        self.run("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", "bash",
                 "--norc", "--noprofile")
        self.run("set-option", "-t", SESSION, "remain-on-exit", "on")

    def keys(self, *keys: str, pane: str = "0", pause: float = 0.25) -> None:
        for key in keys:
            self.run("send-keys", "-t", f"{SESSION}:0.{pane}", key)
            time.sleep(pause)

    def type(self, text: str, pane: str = "0") -> None:
        self.run("send-keys", "-t", f"{SESSION}:0.{pane}", "-l", text)
        time.sleep(0.3)

    def screen(self, pane: str = "0") -> str:
        return self.run("capture-pane", "-p", "-t", f"{SESSION}:0.{pane}")

    def wait_for(self, text: str, pane: str = "0", timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen(pane)
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared in pane {pane}:\n{shown}")
            time.sleep(0.2)

    def stop(self) -> None:
        subprocess.run([self.binary, "-L", self.socket, "kill-server"], env=self.env,
                       capture_output=True, timeout=30, check=False)


def _stop_processes_of(home: Path) -> None:
    """Stop what this test started (the orphaned drill cluster among them)."""
    marker = f"ROLLBACK_HOME={home}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            try:
                os.kill(int(proc.name), signal.SIGTERM)
            except ProcessLookupError:
                pass


def _journal(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "journal.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _epoch(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()


class FollowerWatch:
    """Polls the follower pane and notes when each step's line first shows."""

    def __init__(self, tmux: Tmux) -> None:
        self.tmux, self.seen = tmux, {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.wait(0.05):
            try:
                shown = self.tmux.screen("1")
            except AssertionError:  # the server is gone: the test is over
                return
            now = time.time()
            for line in shown.splitlines():
                for marker in ("step ", "incident ", "resolved"):
                    if marker in line:
                        self.seen.setdefault(line.strip(), now)


@pytest.mark.slow
def test_drill_kill_resume_finish_with_a_follower(tmp_path: Path, rollback_home: Path) -> None:
    if shutil.which("kubectl") is None:
        require_tool("kubectl")
    tmux = Tmux(rollback_home, f"rb-{os.getpid()}")
    tmux.start()
    try:
        _drive(tmux, rollback_home)
    finally:
        tmux.stop()
        _stop_processes_of(rollback_home)


def _drive(tmux: Tmux, home: Path) -> None:
    incidents = home / "data" / "incidents"
    # The drill's API answers slowly enough that a kill lands inside the undo.
    tmux.type(f"rollback drill --speed {SPEED} --fault latency=250ms")
    tmux.keys("Enter")
    tmux.wait_for("① ASSESS", timeout=60)
    tmux.wait_for("ready ·", timeout=60)  # the pods are in: the screen is settled
    tmux.type("checkout 2.4.0 crash-loops")
    tmux.wait_for("│  checkout 2.4.0 crash-loops  ")  # as a person would: typed, then seen
    tmux.keys("Tab", "Tab")
    tmux.type("20")
    tmux.keys("Tab")
    tmux.type("8")
    tmux.keys("Tab", "Tab", "Right", "Enter")
    tmux.wait_for("× P1")  # the recommendation has taken the users and the severity in
    tmux.keys("C-r")
    tmux.wait_for("② DECIDE")
    tmux.wait_for("permissions allowed", timeout=60)
    tmux.type("Dana (release manager)")
    tmux.wait_for("Dana (release manager)")
    tmux.keys("C-r")
    tmux.wait_for("③ EXECUTE", timeout=60)
    folder = next(incidents.iterdir())
    incident = folder.name
    # The second pane: someone joining the incident, read-only.
    tmux.run("split-window", "-v", "-l", "10", "-t", f"{SESSION}:0", "bash", "--norc",
             "--noprofile")
    tmux.type(f"rollback follow {incident} --plain", pane="1")
    tmux.keys("Enter", pane="1")
    tmux.wait_for("decision", pane="1")
    watch = FollowerWatch(tmux)
    watch.thread.start()
    # Steps 1-7: three manual ones (Enter opens them, Enter marks them done), four automatic.
    for step in ("announce", "status_page", "assemble_team"):
        _open_dialog(tmux, "Mark done")
        tmux.keys("Enter")
        _wait_step(folder, step)
    for step in ("verify_prerequisites", "snapshot", "current_version", "identify_previous"):
        tmux.keys("Enter")
        _wait_step(folder, step)
    # Step 8, the undo: confirm by typing the deployment's name, and kill the app inside it.
    holder = json.loads((folder / "journal.lock").read_text())
    killer = threading.Thread(target=_kill_inside_undo, args=(folder, holder["pid"]))
    killer.start()
    tmux.keys("Enter")
    tmux.wait_for("Type checkout to confirm")
    tmux.type("checkout")
    tmux.keys("Enter")
    killer.join(timeout=60)
    started = [e for e in _journal(folder) if e["type"] == "step.started"
               and e["data"]["step_id"] == "rollout_undo"]
    assert started, "the undo never started"
    # Back at the shell: fix the terminal and resume, as a person would.
    time.sleep(1)
    tmux.type("reset; rollback resume")
    tmux.keys("Enter")
    tmux.wait_for("③ EXECUTE", timeout=60)
    resumed = [e for e in _journal(folder) if e["type"] == "session.resumed"]
    assert resumed and resumed[0]["data"]["interrupted_steps"] == ["rollout_undo"]
    # Enter on the interrupted undo: proven done by the cluster, or re-run once confirmed.
    tmux.keys("Enter")
    deadline = time.monotonic() + 60
    while not _finished(folder, "rollout_undo"):
        assert time.monotonic() < deadline, tmux.screen()
        if "Type checkout to confirm" in tmux.screen():
            tmux.type("checkout")
            tmux.keys("Enter")
        time.sleep(0.3)
    for step in ("rollout_status", "verify_version"):
        tmux.keys("Enter")
        _wait_step(folder, step, timeout=120)
    tmux.keys("Enter", "Enter", pause=0.6)  # check_logs: manual
    _wait_step(folder, "check_logs")
    for step in ("health_check", "error_rate"):
        tmux.keys("Enter")
        _wait_step(folder, step, timeout=180)
    tmux.keys("v")
    tmux.wait_for("④ VERIFY")
    _tick_everything(tmux, folder)
    tmux.keys("C-r")
    tmux.wait_for("Verified by")
    tmux.keys("Enter")
    deadline = time.monotonic() + 30
    while not any(e["type"] == "incident.resolved" for e in _journal(folder)):
        assert time.monotonic() < deadline, tmux.screen()
        time.sleep(0.2)
    time.sleep(2)
    watch.stop.set()
    watch.thread.join(timeout=5)
    journal = _journal(folder)
    resolved = next(e["data"] for e in journal if e["type"] == "incident.resolved")
    assert resolved["status"] == "SUCCESS", resolved
    verify = subprocess.run(["rollback", "incidents", "verify", incident], env=tmux.env,
                            capture_output=True, text=True, check=False)
    assert verify.returncode == 0 and "chain intact" in verify.stdout, verify.stdout
    # The follower showed every step (as it finished) within a second of the journal.
    for event in journal:
        if event["type"] != "step.finished" or _epoch(event["ts"]) < min(watch.seen.values(),
                                                                         default=0):
            continue
        step = event["data"]["step_id"]
        shown = [t for line, t in watch.seen.items() if f"step {step} " in line
                 and event["data"]["status"] in line]
        assert shown, f"the follower never showed step {step}"
        assert min(shown) - _epoch(event["ts"]) < 1.0, (step, min(shown) - _epoch(event["ts"]))
    assert "resolved" in tmux.screen("1")


def _open_dialog(tmux: Tmux, marker: str) -> None:
    """Enter on the highlighted step until its dialog shows, as a person would press it again
    when a loaded machine let the first press go unanswered (three tries at most)."""
    for attempt in range(3):
        tmux.keys("Enter")
        try:
            tmux.wait_for(marker, timeout=10)
            return
        except AssertionError as missed:
            if attempt == 2:
                raise
            print(f"Enter went unanswered; pressing it again:\n{missed}", file=sys.stderr)


def _finished(folder: Path, step: str) -> bool:
    return any(e["type"] == "step.finished" and e["data"]["step_id"] == step
               for e in _journal(folder))


def _wait_step(folder: Path, step: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not _finished(folder, step):
        assert time.monotonic() < deadline, f"step {step} did not finish"
        time.sleep(0.2)


def _kill_inside_undo(folder: Path, pid: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            events = _journal(folder)
        except ValueError:  # read while the writer was halfway through a line: read again
            time.sleep(0.005)
            continue
        for event in events:
            if event["type"] == "step.started" and event["data"]["step_id"] == "rollout_undo":
                os.kill(pid, signal.SIGKILL)
                return
        time.sleep(0.005)


def _open_manual_items(folder: Path) -> list[tuple[int, str]]:
    """(position in the checklist, id) of every manual item the journal has not ticked."""
    from conftest import REPO

    from tui.domain.runbook import validate_runbook

    path = REPO / "runbooks" / "revert-deployment.yaml"
    runbook = validate_runbook(path.read_bytes(), str(path)).runbook
    assert runbook is not None
    marks: dict[str, str] = {}
    for event in _journal(folder):
        if event["type"] == "check.recorded":
            marks[event["data"]["item_id"]] = event["data"]["status"]
    return [(n, item.id) for n, item in enumerate(runbook.checklist_items())
            if not item.automatic and marks.get(item.id, "open") == "open"]


def _tick_everything(tmux: Tmux, folder: Path) -> None:
    """Space on every manual item still open, walking to it from the top as a person would
    (automatic items are skipped by the journal, not by guessing the screen)."""
    for _ in range(3):
        remaining = _open_manual_items(folder)
        if not remaining:
            break
        for position, item in remaining:
            tmux.keys("Home", pause=0.2)
            for _ in range(position):
                tmux.keys("Down", pause=0.05)
            tmux.keys("space", pause=0.3)
            deadline = time.monotonic() + 5
            while any(i == item for _, i in _open_manual_items(folder)) and \
                    time.monotonic() < deadline:
                time.sleep(0.1)
    assert not _open_manual_items(folder), tmux.screen()
    time.sleep(1)
    assert "S U C C E S S" in tmux.screen(), tmux.screen()
