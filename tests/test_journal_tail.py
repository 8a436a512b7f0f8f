"""JournalTail: incremental reads of a journal another writer appends to, verified as it goes."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tui.adapters.journal import (
    JOURNAL_FILE,
    JournalNotFoundError,
    JournalReader,
    JournalWriter,
    read_journal,
)
from tui.adapters.journal_tail import JournalTail, TailProblemKind, writer_status
from tui.domain.incident import (
    GENESIS,
    NOTE_ADDED,
    STEP_FINISHED,
    STEP_STARTED,
    TORN_TAIL_QUARANTINED,
    canonical_line,
    line_hash,
    replay,
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An incident folder (created by the first writer)."""
    return tmp_path / "20261130-041200-checkout"


def journal(folder: Path) -> Path:
    return folder / JOURNAL_FILE


def write_notes(folder: Path, count: int, *, start: int = 0) -> None:
    """Append `count` notes with the real writer (taking and releasing the lock)."""
    with JournalWriter(folder, actor="alice@host") as writer:
        for i in range(start, start + count):
            writer.append(NOTE_ADDED, {"text": f"note {i}"})


def raw_line(seq: int, prev: str, text: str = "by hand") -> bytes:
    """A well-formed journal line written without the writer (for tampering tests)."""
    return canonical_line({"v": 1, "seq": seq, "ts": "2026-11-30T04:12:07.000Z",
                           "actor": "mallory@host", "type": NOTE_ADDED, "data": {"text": text},
                           "prev": prev})


def append_bytes(folder: Path, data: bytes) -> None:
    with journal(folder).open("ab") as handle:
        handle.write(data)


def test_first_poll_reads_everything_then_only_what_is_new(folder: Path) -> None:
    write_notes(folder, 5)
    tail = JournalTail(folder)
    first = tail.poll()
    assert [e.seq for e in first.events] == [1, 2, 3, 4, 5] and not first.problems
    assert tail.offset == journal(folder).stat().st_size and tail.line_count == 5
    assert not tail.poll()  # nothing new: an empty batch
    write_notes(folder, 2, start=5)
    second = tail.poll()
    assert [e.data["text"] for e in second.events] == ["note 5", "note 6"]
    assert not second.problems and tail.last_seq == 7
    assert tail.last_hash == read_journal(folder).last_hash


def test_a_missing_journal_is_nothing_yet(folder: Path) -> None:
    tail = JournalTail(folder)
    assert not tail.poll() and tail.offset == 0
    write_notes(folder, 1)
    assert [e.seq for e in tail.poll().events] == [1]


def test_works_while_the_writer_holds_the_lock(folder: Path) -> None:
    with JournalWriter(folder, actor="alice@host") as writer:
        writer.append(STEP_STARTED, {"step_id": "undo", "title": "Undo", "dry_run": False})
        writer.append_durable(NOTE_ADDED, {"text": "x"})
        tail = JournalTail(folder)
        assert len(tail.poll().events) == 2
        assert tail.state.step_status("undo") == "running"  # live: the step is still running
        status = writer_status(folder)
        assert (status.pid, status.alive, status.writing) == (os.getpid(), True, True)
        writer.append_durable(STEP_FINISHED, {"step_id": "undo", "status": "ok", "detail": ""})
        assert [e.type for e in tail.poll().events] == [STEP_FINISHED]
        assert tail.state.step_status("undo") == "ok"
        writer.append_durable(NOTE_ADDED, {"text": "the writer still works"})
    assert writer_status(folder).pid is None  # released: the holder record is cleared


def test_a_crashed_holder_is_told_apart_from_a_live_one(folder: Path) -> None:
    code = ("import os, sys\nfrom pathlib import Path\n"
            "from tui.adapters.journal import JournalWriter\n"
            "w = JournalWriter(Path(sys.argv[1]), actor='a@h').open()\n"
            "w.append_durable('note.added', {'text': 'x'})\nos._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(folder)], check=True)
    status = writer_status(folder)
    assert status.pid is not None and status.pid != os.getpid()
    assert status.alive is False and not status.writing  # the record outlived its process
    assert "has stopped" in status.describe()


def test_a_half_written_line_waits_for_its_newline(folder: Path) -> None:
    write_notes(folder, 2)
    tail = JournalTail(folder)
    tail.poll()
    line = raw_line(3, tail.last_hash, "written in two parts")
    append_bytes(folder, line[:20])
    batch = tail.poll()
    assert not batch.events and not batch.problems and tail.pending == 20
    append_bytes(folder, line[20:-1])
    assert not tail.poll().events and tail.pending == len(line) - 1
    append_bytes(folder, b"\n")
    batch = tail.poll()
    assert [e.data["text"] for e in batch.events] == ["written in two parts"]
    assert not batch.problems and tail.pending == 0 and tail.last_hash == line_hash(line)


def test_a_torn_tail_set_aside_by_a_new_writer_is_not_a_shrink(folder: Path) -> None:
    write_notes(folder, 2)
    append_bytes(folder, b'{"v":1,"seq":3,"ts":"2026-')  # a writer crashed mid-line
    tail = JournalTail(folder)
    assert len(tail.poll().events) == 2 and tail.pending > 0
    write_notes(folder, 1, start=2)  # quarantines the torn bytes (cuts the file), then appends
    batch = tail.poll()
    assert [e.type for e in batch.events] == [TORN_TAIL_QUARANTINED, NOTE_ADDED]
    assert not batch.problems and not batch.restarted and tail.pending == 0


def test_truncation_is_reported_and_reading_restarts(folder: Path) -> None:
    write_notes(folder, 4)
    tail = JournalTail(folder)
    tail.poll()
    lines = journal(folder).read_bytes().splitlines(keepends=True)
    with journal(folder).open("r+b") as handle:
        handle.truncate(len(lines[0]) + len(lines[1]))
    batch = tail.poll()
    assert [p.kind for p in batch.problems] == [TailProblemKind.SHRUNK]
    assert "shrank" in batch.problems[0].message and batch.restarted
    assert [e.seq for e in batch.events] == [1, 2] and tail.state.event_count == 2


def test_replacement_is_reported_and_the_new_file_read(folder: Path) -> None:
    write_notes(folder, 3)
    tail = JournalTail(folder)
    tail.poll()
    copy = folder / "copy.jsonl"
    copy.write_bytes(journal(folder).read_bytes() + raw_line(4, tail.last_hash))
    os.replace(copy, journal(folder))  # same bytes and more, but another file
    batch = tail.poll()
    assert [p.kind for p in batch.problems] == [TailProblemKind.REPLACED]
    assert batch.restarted and [e.seq for e in batch.events] == [1, 2, 3, 4]


def test_removal_then_return_are_both_reported(folder: Path) -> None:
    write_notes(folder, 2)
    tail = JournalTail(folder)
    tail.poll()
    data = journal(folder).read_bytes()
    journal(folder).unlink()
    assert [p.kind for p in tail.poll().problems] == [TailProblemKind.REMOVED]
    assert not tail.poll()  # reported once
    journal(folder).write_bytes(data)
    batch = tail.poll()
    assert [p.kind for p in batch.problems] == [TailProblemKind.REPLACED] and batch.restarted


def test_a_tampered_middle_line_is_reported_by_line(folder: Path) -> None:
    write_notes(folder, 2)
    tail = JournalTail(folder)
    tail.poll()
    write_notes(folder, 3, start=2)  # lines 3, 4, 5: not read yet
    lines = journal(folder).read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b"note 3", b"note X")  # line 4, same length
    journal(folder).write_bytes(b"".join(lines))  # in place: same inode
    batch = tail.poll()
    assert [(p.kind, p.line) for p in batch.problems] == [(TailProblemKind.LINE, 4)]
    assert "line 4" in batch.problems[0].message and "altered" in batch.problems[0].message
    assert [e.seq for e in batch.events] == [3, 4, 5]  # reported, never skipped


def test_a_forged_link_at_the_read_boundary_blames_the_new_line(folder: Path) -> None:
    write_notes(folder, 2)
    tail = JournalTail(folder)
    tail.poll()
    append_bytes(folder, raw_line(3, GENESIS, "forged"))
    batch = tail.poll()
    assert [(p.kind, p.line) for p in batch.problems] == [(TailProblemKind.LINE, 3)]
    assert "prev does not match" in batch.problems[0].message
    append_bytes(folder, raw_line(5, line_hash(raw_line(3, GENESIS, "forged"))))
    batch = tail.poll()
    assert [(p.line, "seq 5, expected 4" in p.message) for p in batch.problems] == [(4, True)]


def test_a_line_already_read_then_rewritten_is_reported(folder: Path) -> None:
    write_notes(folder, 3)
    tail = JournalTail(folder)
    tail.poll()
    data = journal(folder).read_bytes()
    with journal(folder).open("r+b") as handle:
        handle.seek(data.rindex(b"note 2"))
        handle.write(b"note 9")
    batch = tail.poll()
    assert [(p.kind, p.line) for p in batch.problems] == [(TailProblemKind.ALTERED, 3)]


def test_a_complete_line_that_is_not_json_is_reported_once(folder: Path) -> None:
    write_notes(folder, 2)
    tail = JournalTail(folder)
    tail.poll()
    append_bytes(folder, b"{not json at all\n")
    batch = tail.poll()
    assert [(p.kind, p.line) for p in batch.problems] == [(TailProblemKind.LINE, 3)]
    assert "not valid JSON" in batch.problems[0].message
    os.utime(journal(folder), ns=(1, 1))  # touched: read again, but reported only once
    assert not tail.poll()
    good = raw_line(4, line_hash(b"{not json at all\n"))
    append_bytes(folder, good)
    batch = tail.poll()
    assert [e.seq for e in batch.events] == [4] and not batch.problems  # line 3 not repeated
    assert tail.line_count == 4 and tail.pending == 0


def test_hostile_bytes_are_reported_not_fatal(folder: Path) -> None:
    write_notes(folder, 1)
    tail = JournalTail(folder)
    tail.poll()
    hostile = raw_line(2, tail.last_hash, "\x1b[2J[bold red]x[/]\r" + "y" * 100_000)
    append_bytes(folder, hostile + b"\xff\xfe not utf-8\n" + b"[1, 2]\n")
    batch = tail.poll()
    assert batch.events[0].data["text"].startswith("\x1b[2J")  # data stays data
    assert [p.line for p in batch.problems] == [3, 4]
    assert "not valid UTF-8" in batch.problems[0].message
    assert "not a JSON object" in batch.problems[1].message


def test_incremental_state_equals_a_full_live_replay(folder: Path) -> None:
    rng = random.Random(7)
    tail = JournalTail(folder)
    with JournalWriter(folder, actor="alice@host") as writer:
        for round_number in range(30):
            for _ in range(rng.randint(0, 5)):
                step = f"s{rng.randint(0, 4)}"
                kind = rng.choice([STEP_STARTED, STEP_FINISHED, NOTE_ADDED, "check.recorded"])
                data = {"step_id": step, "title": step, "status": rng.choice(["ok", "failed"]),
                        "item_id": step, "text": str(round_number)}
                writer.append(kind, data)
            writer.append_durable(NOTE_ADDED, {"text": "sync"})
            tail.poll()
            assert tail.state == replay(read_journal(folder).events, live=True)


def test_reader_keeps_its_api_on_top_of_the_tail(folder: Path) -> None:
    with pytest.raises(JournalNotFoundError):
        JournalReader(folder).poll()
    write_notes(folder, 2)
    reader = JournalReader(folder)
    state, parsed = reader.poll()
    assert state.event_count == 2 and [e.seq for e in parsed.events] == [1, 2]
    assert reader.poll() is None
    append_bytes(folder, b'{"v":1,')
    assert reader.poll() is None  # a half-written line is not news
    write_notes(folder, 1, start=2)
    state, parsed = reader.poll()
    assert [e.seq for e in parsed.events] == [1, 2, 3, 4] and parsed.events[2].type == (
        TORN_TAIL_QUARANTINED)
    assert state.event_count == 4 and not parsed.problems and parsed.torn_tail is None


def test_reading_never_writes_or_locks(folder: Path) -> None:
    write_notes(folder, 2)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}
    tail = JournalTail(folder)
    tail.poll()
    tail.close()
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}
    assert before == after
    assert (folder / "journal.lock").read_bytes() == b""  # no holder recorded by the reader
