"""Tests of the journal on disk: writer, lock, torn tails, secrets, crashes, other processes."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tui.adapters.journal import (
    JOURNAL_FILE,
    JournalLock,
    JournalLockedError,
    JournalNotFoundError,
    JournalReader,
    JournalWriteError,
    JournalWriter,
    actor_name,
    incident_dir,
    list_incidents,
    load_state,
    new_incident_id,
    read_journal,
    utc_timestamp,
)
from tui.app.paths import resolve_paths
from tui.domain.incident import (
    GENESIS,
    INCIDENT_OPENED,
    NOTE_ADDED,
    STEP_FINISHED,
    STEP_STARTED,
    TORN_TAIL_QUARANTINED,
    line_hash,
    verify_chain,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated ROLLBACK_HOME; returns the incidents folder."""
    monkeypatch.setenv("ROLLBACK_HOME", str(tmp_path / "home"))
    return resolve_paths().incidents_dir


@pytest.fixture
def folder(home: Path) -> Path:
    """The folder of a fresh incident under the isolated home."""
    now = datetime(2026, 11, 30, 0, 45, 12, tzinfo=UTC)
    return incident_dir(resolve_paths(), new_incident_id("Checkout 5xx", now))


def run_python(code: str, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh interpreter that imports this project."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,
    )


def raw(folder: Path) -> bytes:
    return (folder / JOURNAL_FILE).read_bytes()


def write_notes(folder: Path, count: int) -> None:
    with JournalWriter(folder, actor="alice@host") as writer:
        for i in range(1, count + 1):
            writer.append(NOTE_ADDED, {"text": f"note {i}"})


# --- writing and replaying ------------------------------------------------------------------


def test_append_replay_round_trip(folder: Path) -> None:
    with JournalWriter(folder, actor="alice@host") as writer:
        opened = writer.append_durable(
            INCIDENT_OPENED,
            {
                "incident_id": folder.name,
                "title": "Checkout 5xx",
                "runbook_id": "revert",
                "params": {"namespace": "shop"},
                "drill": False,
            },
        )
        writer.append(STEP_STARTED, {"step_id": "undo", "title": "Undo", "dry_run": False})
        last = writer.append(STEP_FINISHED, {"step_id": "undo", "status": "ok", "detail": "done"})
        assert last.wait(timeout=10).seq == 3
    assert opened.seq == 1 and opened.prev == GENESIS and ISO_MS.fullmatch(opened.ts)
    state, parsed = load_state(folder)
    assert state.incident_id == folder.name and state.title == "Checkout 5xx"
    assert state.params == {"namespace": "shop"}
    assert state.step_status("undo") == "ok" and state.event_count == 3
    assert [e.type for e in parsed.events] == [INCIDENT_OPENED, STEP_STARTED, STEP_FINISHED]
    assert parsed.events[0] == opened
    lines = raw(folder).splitlines(keepends=True)
    assert parsed.events[1].prev == line_hash(lines[0])
    assert verify_chain(raw(folder)).ok


def test_reopening_continues_the_chain(folder: Path) -> None:
    write_notes(folder, 3)
    with JournalWriter(folder, actor="bob@host") as writer:
        event = writer.append_durable(NOTE_ADDED, {"text": "after resume"})
    assert event.seq == 4 and event.actor == "bob@host"
    assert event.prev == line_hash(raw(folder).splitlines(keepends=True)[2])
    result = verify_chain(raw(folder))
    assert result.ok and result.lines_checked == 4


def test_group_commit_acknowledges_in_order_with_few_fsyncs(folder: Path) -> None:
    durable: list[int] = []
    with JournalWriter(folder, actor="a@h", on_durable=lambda e: durable.append(e.seq)) as writer:
        acks = [writer.append(NOTE_ADDED, {"text": str(i)}) for i in range(2000)]
        assert [ack.wait(timeout=30).seq for ack in acks] == list(range(1, 2001))
        fsyncs = writer.fsync_count
    assert durable == list(range(1, 2001))
    assert 1 <= fsyncs < 2000  # batches, not one fsync per event
    assert all(ack.done for ack in acks)


def test_ack_is_durable_only_after_fsync(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        release.wait(10)
        real_fsync(fd)

    with JournalWriter(folder, actor="a@h") as writer:
        monkeypatch.setattr(os, "fsync", slow_fsync)
        ack = writer.append(NOTE_ADDED, {"text": "x"})
        with pytest.raises(TimeoutError):
            ack.wait(timeout=0.2)
        assert not ack.done
        release.set()
        assert ack.wait(timeout=10).seq == 1


def test_close_drains_everything_queued(folder: Path) -> None:
    writer = JournalWriter(folder, actor="a@h").open()
    for i in range(500):
        writer.append(NOTE_ADDED, {"text": str(i)})
    writer.close()
    assert len(read_journal(folder).events) == 500
    with pytest.raises(JournalWriteError, match="not open"):
        writer.append(NOTE_ADDED, {"text": "late"})


def test_write_error_surfaces_on_wait_and_later_appends(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = JournalWriter(folder, actor="a@h").open()
    writer.append_durable(NOTE_ADDED, {"text": "kept"})

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(JournalWriteError, match="No space left"):
        writer.append(NOTE_ADDED, {"text": "lost"}).wait(timeout=10)
    with pytest.raises(JournalWriteError):
        writer.append(NOTE_ADDED, {"text": "refused"})
    monkeypatch.undo()
    writer.close()  # already reported: closing releases the lock without raising again
    parsed = read_journal(folder)
    assert [e.data["text"] for e in parsed.events] == ["kept"]  # the failed batch was cut off
    assert parsed.torn_tail is None
    with JournalWriter(folder, actor="a@h") as again:  # the lock was released
        assert again.append_durable(NOTE_ADDED, {"text": "next"}).seq == 2


def test_unreported_write_error_is_raised_by_close(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = JournalWriter(folder, actor="a@h").open()
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "EIO")))
    ack = writer.append(NOTE_ADDED, {"text": "never waited for"})
    deadline = time.monotonic() + 10
    while not ack.done and time.monotonic() < deadline:  # not wait(): that would report it
        time.sleep(0.01)
    monkeypatch.undo()
    with pytest.raises(JournalWriteError, match="EIO"):
        writer.close()


def test_timestamps_are_utc_iso_with_milliseconds() -> None:
    assert utc_timestamp(0) == "1970-01-01T00:00:00.000Z"
    moment = datetime(2026, 11, 30, 0, 45, 12, 345_600, tzinfo=UTC).timestamp()
    assert utc_timestamp(moment) == "2026-11-30T00:45:12.345Z"


# --- chain verification on disk -------------------------------------------------------------


def test_edited_middle_line_fails_naming_it(folder: Path) -> None:
    write_notes(folder, 9)
    path = folder / JOURNAL_FILE
    path.write_bytes(raw(folder).replace(b'"note 5"', b'"note 5 (cleaned up)"'))
    result = verify_chain(raw(folder))
    assert not result.ok and result.first_bad_line == 5 and "line 5" in result.reason


def test_deleted_line_fails(folder: Path) -> None:
    write_notes(folder, 9)
    lines = raw(folder).splitlines(keepends=True)
    del lines[3]
    (folder / JOURNAL_FILE).write_bytes(b"".join(lines))
    result = verify_chain(raw(folder))
    assert not result.ok and result.first_bad_line == 4


# --- torn tails -----------------------------------------------------------------------------


def test_torn_tail_reported_ignored_then_quarantined(folder: Path) -> None:
    with JournalWriter(folder, actor="a@h") as writer:
        writer.append(STEP_STARTED, {"step_id": "undo", "title": "Undo", "dry_run": False})
        writer.append(NOTE_ADDED, {"text": "before the crash"})
    good_length = len(raw(folder))
    torn = b'{"v":1,"seq":3,"ts":"2026-11-30T00:45:13.000Z","actor":"a@h","type":"step.fin'
    with open(folder / JOURNAL_FILE, "ab") as journal:
        journal.write(torn)

    state, parsed = load_state(folder)
    assert parsed.torn_tail is not None and parsed.torn_tail.offset == good_length
    assert state.event_count == 2 and state.step_status("undo") == "interrupted"
    assert verify_chain(raw(folder)).ok and "torn" in verify_chain(raw(folder)).reason

    with JournalWriter(folder, actor="b@h") as writer:
        assert writer.recovered_torn_tail is not None
        assert writer.recovered_torn_tail.offset == good_length
        saved = folder / f"journal.torn-{good_length}.bin"
        assert writer.quarantine_file == saved and saved.read_bytes() == torn
        writer.append_durable(NOTE_ADDED, {"text": "resumed"})

    result = verify_chain(raw(folder))
    assert result.ok and result.torn_tail is None and result.lines_checked == 4
    state, parsed = load_state(folder)
    quarantine = parsed.events[2]
    assert quarantine.type == TORN_TAIL_QUARANTINED and quarantine.seq == 3
    assert quarantine.data["offset"] == good_length and quarantine.data["length"] == len(torn)
    assert quarantine.data["sha256"] == hashlib.sha256(torn).hexdigest()
    assert quarantine.data["saved_as"] == saved.name
    assert state.quarantined == [quarantine.data] and state.notes[-1].text == "resumed"
    assert torn not in raw(folder)


def test_quarantine_keeps_an_older_different_tail_at_the_same_offset(folder: Path) -> None:
    write_notes(folder, 1)
    offset = len(raw(folder))
    (folder / f"journal.torn-{offset}.bin").write_bytes(b"older tail")
    with open(folder / JOURNAL_FILE, "ab") as journal:
        journal.write(b'{"v":1,"se')
    with JournalWriter(folder, actor="a@h") as writer:
        assert writer.quarantine_file == folder / f"journal.torn-{offset}-2.bin"
    assert (folder / f"journal.torn-{offset}.bin").read_bytes() == b"older tail"
    assert (folder / f"journal.torn-{offset}-2.bin").read_bytes() == b'{"v":1,"se'


# --- secrets --------------------------------------------------------------------------------


def test_secrets_never_reach_the_file(folder: Path) -> None:
    seen: list[dict[str, object]] = []
    with JournalWriter(
        folder,
        actor="a@h",
        secret_values=["Sup3r-S3cret-DB"],
        on_durable=lambda e: seen.append(e.data),
    ) as writer:
        writer.append(
            INCIDENT_OPENED,
            {
                "incident_id": folder.name,
                "title": "t",
                "runbook_id": "r",
                "params": {"db_url": "postgres://app:Sup3r-S3cret-DB@db/shop", "namespace": "shop"},
            },
        )
        writer.append(
            "step.output",
            {
                "request": {
                    "headers": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig"}
                },
                "api_token": "tok_live_1234567890",
                "stdout": "login Sup3r-S3cret-DB ok",
                "cmd": "curl -H 'Authorization: Basic YWRtaW46aHVudGVyMg==' https://flags",
            },
        )
        event = writer.append_durable(NOTE_ADDED, {"text": "password=hunter2hunter2 rotated"})
    data = raw(folder)
    for leaked in (
        b"Sup3r-S3cret-DB",
        b"eyJhbGciOiJIUzI1NiJ9",
        b"tok_live_1234567890",
        b"YWRtaW46aHVudGVyMg",
        b"hunter2hunter2",
    ):
        assert leaked not in data, leaked
    assert b"postgres://app:***@db/shop" in data and b'"namespace":"shop"' in data
    assert event.data == {"text": "password=*** rotated"}
    assert "Sup3r-S3cret-DB" not in json.dumps(seen)


# --- lock and other processes ---------------------------------------------------------------

SECOND_WRITER = """
import json, sys
from pathlib import Path
from tui.adapters.journal import JournalLockedError, JournalWriter, read_journal
folder = Path(sys.argv[1])
try:
    JournalWriter(folder, actor="bob@laptop").open()
    print(json.dumps({"locked": False}))
except JournalLockedError as exc:
    parsed = read_journal(folder)
    print(json.dumps({"locked": True, "message": str(exc), "pid": exc.pid, "host": exc.host,
                      "since": exc.since, "events": len(parsed.events)}))
"""


def test_second_writer_in_another_process_is_refused_but_can_read(folder: Path) -> None:
    with JournalWriter(folder, actor="alice@host") as writer:
        for i in range(5):
            writer.append(NOTE_ADDED, {"text": str(i)})
        writer.append_durable(NOTE_ADDED, {"text": "durable"})
        result = run_python(SECOND_WRITER, str(folder))
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
    assert report["locked"] is True
    assert report["pid"] == os.getpid() and report["host"] == socket.gethostname()
    assert ISO_MS.fullmatch(report["since"])
    since = datetime.strptime(report["since"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - since) < timedelta(minutes=5)
    message = report["message"]
    assert f"incident {folder.name} is being written by pid {os.getpid()}" in message
    assert f"on host {socket.gethostname()} since {report['since']}" in message
    assert f"rollback follow {folder.name}" in message
    assert report["events"] == 6
    # Once the first writer is gone, the other process may write.
    assert json.loads(run_python(SECOND_WRITER, str(folder)).stdout) == {"locked": False}


def test_lock_is_exclusive_within_a_process_too(folder: Path) -> None:
    folder.mkdir(parents=True)
    with JournalLock(folder), pytest.raises(JournalLockedError, match=f"pid {os.getpid()}"):
        JournalLock(folder).acquire()
    with JournalLock(folder) as lock:  # released on exit: can be taken again
        assert lock.holder()["pid"] == os.getpid()


def test_readers_work_while_a_writer_is_open(folder: Path) -> None:
    with JournalWriter(folder, actor="a@h") as writer:
        writer.append(STEP_STARTED, {"step_id": "undo", "title": "Undo", "dry_run": False})
        writer.append_durable(NOTE_ADDED, {"text": "x"})
        follower = JournalReader(folder)
        first = follower.poll()
        assert first is not None and first[0].step_status("undo") == "running"  # live view
        assert follower.poll() is None  # nothing new
        writer.append_durable(STEP_FINISHED, {"step_id": "undo", "status": "ok", "detail": ""})
        second = follower.poll()
        assert second is not None and second[0].step_status("undo") == "ok"


def test_a_writer_left_open_is_drained_at_interpreter_exit(folder: Path) -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom tui.adapters.journal import JournalWriter\n"
        "w = JournalWriter(Path(sys.argv[1]), actor='a@h').open()\n"
        "for i in range(1000):\n    w.append('note.added', {'text': str(i)})\n"
    )
    result = run_python(code, str(folder))
    assert result.returncode == 0, result.stderr
    assert len(read_journal(folder).events) == 1000
    assert (folder / "journal.lock").read_bytes() == b""  # the lock was released too


def test_reading_a_folder_without_journal_names_it(tmp_path: Path) -> None:
    with pytest.raises(JournalNotFoundError, match=str(tmp_path)):
        read_journal(tmp_path)


CRASHING_WRITER = """
import sys
from pathlib import Path
from tui.adapters.journal import JournalWriter
writer = JournalWriter(Path(sys.argv[1]), actor="crash@test").open()
size = int(sys.argv[2])
step = 0
while True:
    acks = []
    for _ in range(7):
        step += 1
        acks.append(writer.append("note.added", {"text": "x" * (step % size), "step": step}))
    for ack in acks:
        print(ack.wait().seq, flush=True)
"""


@pytest.mark.parametrize("attempt", range(3))
def test_sigkill_never_loses_an_acknowledged_event(folder: Path, attempt: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    payload = (300, 5000, 20000)[attempt]  # larger batches make a kill mid-write likelier
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(folder), str(payload)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    acknowledged: list[int] = []
    assert child.stdout is not None
    try:
        for line in child.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) >= 300 + 50 * attempt:
                break
        time.sleep(0.01 * attempt)  # the child keeps writing until its stdout pipe fills up
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert acknowledged == list(range(1, len(acknowledged) + 1))

    data = raw(folder)
    result = verify_chain(data)
    assert result.ok, result.reason  # possibly with a torn tail warning
    state, parsed = load_state(folder)
    written = {event.seq for event in parsed.events}
    assert set(acknowledged) <= written
    assert state.event_count == len(parsed.events) >= len(acknowledged)
    # The next writer recovers: a torn tail is quarantined, the chain goes on intact.
    with JournalWriter(folder, actor="after@crash") as writer:
        tail = writer.recovered_torn_tail
        event = writer.append_durable(NOTE_ADDED, {"text": "recovered"})
    assert event.seq == len(parsed.events) + (1 if tail else 0) + 1
    after = verify_chain(raw(folder))
    assert after.ok and after.torn_tail is None


# --- actors, ids, folders -------------------------------------------------------------------


def test_actor_name_plain_and_over_ssh() -> None:
    host = socket.gethostname()
    assert actor_name({"USER": "alice"}) == f"alice@{host}"
    ssh = {"USER": "alice", "SSH_CLIENT": "10.0.0.5 52144 22"}
    assert actor_name(ssh) == f"alice@{host} (ssh from 10.0.0.5)"
    conn = {"LOGNAME": "bob", "SSH_CONNECTION": "2001:db8::7 52144 2001:db8::1 22"}
    assert actor_name(conn) == f"bob@{host} (ssh from 2001:db8::7)"


def test_actor_from_ssh_session_is_journaled(folder: Path) -> None:
    actor = actor_name({"USER": "oncall", "SSH_CLIENT": "192.0.2.9 40000 22"})
    with JournalWriter(folder, actor=actor) as writer:
        writer.append_durable(NOTE_ADDED, {"text": "joined"})
    assert load_state(folder)[0].notes[0].actor.endswith("(ssh from 192.0.2.9)")


def test_new_incident_id_sanitises_the_slug_and_uses_utc() -> None:
    now = datetime(2026, 11, 30, 1, 45, 12, tzinfo=timezone(timedelta(hours=1)))
    assert new_incident_id("Checkout 5xx / EU!", now) == "20261130-004512-checkout-5xx-eu"
    assert new_incident_id("ÄÖ", now) == "20261130-004512-incident"
    long_id = new_incident_id("x" * 100, now)
    assert long_id == "20261130-004512-" + "x" * 40


def test_incident_dir_refuses_ids_that_leave_the_incidents_folder(home: Path) -> None:
    paths = resolve_paths()
    assert incident_dir(paths, "20261130-004512-checkout") == home / "20261130-004512-checkout"
    for bad in ("../etc", "a/b", "", ".hidden", "x..y"):
        with pytest.raises(ValueError, match="not an incident id"):
            incident_dir(paths, bad)


def test_list_incidents_newest_first_with_status(home: Path) -> None:
    paths = resolve_paths()
    older = incident_dir(paths, "20261129-100000-db")
    newer = incident_dir(paths, "20261130-004512-checkout")
    for folder, title in ((older, "DB"), (newer, "Checkout")):
        with JournalWriter(folder, actor="a@h") as writer:
            writer.append(INCIDENT_OPENED, {"incident_id": folder.name, "title": title})
    with JournalWriter(older, actor="a@h") as writer:
        writer.append("incident.resolved", {"outcome": "fixed forward"})
    (home / "not-an-incident").mkdir()
    listed = list_incidents(home)
    assert [(s.incident_id, s.state.title, s.state.status) for s in listed] == [
        ("20261130-004512-checkout", "Checkout", "open"),
        ("20261129-100000-db", "DB", "resolved"),
    ]
    assert all(s.intact for s in listed) and listed[1].state.event_count == 2
    assert listed[0].path == newer
    assert list_incidents(home / "missing") == []


def test_incident_folders_in_the_same_second_get_distinct_ids(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tui.adapters.journal import create_incident_dir

    now = datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC)
    made = [create_incident_dir(tmp_path, "Checkout API!", now) for _ in range(3)]
    assert [incident_id for incident_id, _ in made] == [
        "20261130-010203-checkout-api", "20261130-010203-checkout-api-2",
        "20261130-010203-checkout-api-3"]
    assert all(folder.is_dir() for _, folder in made)


@pytest.mark.parametrize("attempt", range(3))
def test_appends_racing_close_are_all_written_or_refused(folder: Path, attempt: int) -> None:
    """An append that passed the open check while close() ran used to enqueue after the writer
    thread was joined: its Ack never resolved and wait() without a timeout hung forever."""

    def slow_clock() -> float:
        time.sleep(0.002)  # widens the gap between an append's open check and its enqueue
        return time.time()

    writer = JournalWriter(folder, actor="a@h", clock=slow_clock).open()
    acks: list = []
    refused = threading.Event()
    go = threading.Barrier(9)

    def hammer() -> None:
        go.wait()
        while True:
            try:
                ack = writer.append(NOTE_ADDED, {"text": "x"})
            except JournalWriteError as exc:
                assert "not open" in str(exc)
                refused.set()
                return
            acks.append(ack)

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    go.wait()
    time.sleep(0.05)
    writer.close()  # no error: everything accepted is written
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert refused.is_set() and acks
    written = {}
    for ack in acks:
        event = ack.wait(timeout=5)  # the hang guard: an orphaned Ack times out here
        written[event.seq] = event
    events = read_journal(folder).events
    assert len(written) == len(acks) == len(events)  # every accepted append was written
    assert sorted(written) == [e.seq for e in events]
