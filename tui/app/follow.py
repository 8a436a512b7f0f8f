"""Following an incident read-only: its timeline lines as they land, and who is writing it."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import TextIO

from tui.adapters.journal import utc_timestamp
from tui.adapters.journal_tail import (
    POLL_INTERVAL,
    JournalTail,
    TailBatch,
    WriterStatus,
    writer_status,
)
from tui.domain.safe_text import plain
from tui.domain.status import IncidentStatus, StepStatus
from tui.domain.timeline import Symbol, describe

EXIT_OK = 0
HOLDER_EVERY = 0.5  # seconds between looks at who holds the incident


def replace_unencodable(stream: TextIO) -> None:
    """Print ✓ ✗ ▶ as "?" on a terminal that cannot show them, rather than failing."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="replace")


class Follower:
    """Prints a journal's timeline lines as they land, and who is writing the incident."""

    def __init__(self, folder: Path, out: TextIO, *, interval: float = POLL_INTERVAL) -> None:
        """Follow the incident in `folder`, printing to `out`."""
        self.folder = folder
        self.out = out
        self.interval = interval
        self.tail = JournalTail(folder)
        self.printed_seq = 0
        self.writer: WriterStatus | None = None

    def run(self, *, tail: int | None = None) -> int:
        """Print the timeline so far (the last `tail` events), then follow until resolved."""
        first = self.tail.poll()
        title = plain(self.tail.state.title) or "(untitled)"
        self.writer = writer_status(self.folder)
        self.say(Symbol.INFO, f"following {self.folder.name}: {title} — {self.writer.describe()}")
        events = first.events
        shown = events if tail is None else events[len(events) - tail :]
        if len(shown) < len(events):
            self.say(Symbol.INFO, f"{len(events) - len(shown)} earlier events not shown")
            self.printed_seq = events[len(events) - len(shown) - 1].seq
        self.show(TailBatch(shown, first.problems))
        while self.tail.state.status != IncidentStatus.RESOLVED:
            self.show(self.tail.wait(HOLDER_EVERY, interval=self.interval))
            if self.tail.state.status != IncidentStatus.RESOLVED:
                self.watch_writer()  # a writer closing after resolving is not news
        return EXIT_OK

    def show(self, batch: TailBatch) -> None:
        """Print a batch: problems as warning lines, then events not printed before."""
        for problem in batch.problems:
            self.say(Symbol.WARNING, f"journal: {plain(problem.message, 400)}")
        for event in batch.events:
            if event.seq > self.printed_seq or not batch.restarted:
                self.out.write(describe(event).line() + "\n")
                self.printed_seq = max(self.printed_seq, event.seq)
        self.out.flush()

    def watch_writer(self) -> None:
        """Say when the session writing the incident changes, and what a crash leaves running."""
        now = writer_status(self.folder)
        previous, self.writer = self.writer, now
        if previous is None or (now.pid, now.alive) == (previous.pid, previous.alive):
            return
        text = f"session: {now.describe()}"
        running = [s.step_id for s in self.tail.state.steps.values()
                   if s.status == StepStatus.RUNNING]
        if not now.writing and running:
            text += (f"; step {', '.join(plain(s, 60) for s in running)} was running — "
                     "check before re-running")
        self.say(Symbol.WARNING if not now.writing else Symbol.STARTED, text)

    def say(self, symbol: Symbol, text: str) -> None:
        """A line of the follower's own (not a journal event), in the timeline's shape."""
        clock = utc_timestamp(time.time())[11:19]
        self.out.write(f"{clock} {symbol} {text}\n")
        self.out.flush()
