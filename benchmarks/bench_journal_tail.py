"""Benchmark following a journal: does seeing a new event cost more in a long incident?

Run: `python benchmarks/bench_journal_tail.py` — prints JSON, exits 1 when a target is missed.
One round appends an event with the real JournalWriter (durable: written and fsync'ed) and polls
a JournalTail until it sees it. Rounds alternate between a journal of 100,000 events and one that
started empty, so both share the machine's noise; the targets compare their medians. The
follower's own part (the poll that finds the event) is gated the same way, and the cost of a poll
with nothing new is reported at both sizes. For scale, the report includes what following cost
before the tail: a full re-read and replay of the journal on every change.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_journal import sample_event  # noqa: E402 - the same event mix as the journal benchmark

from tui.adapters.journal import JournalWriter, load_state  # noqa: E402
from tui.adapters.journal_tail import JournalTail  # noqa: E402

BIG_EVENTS = 100_000
ROUNDS = 400
IDLE_POLLS = 20_000
RATIO_TARGET = 2.0


class Followed:
    """A journal held by a writer, and a tail that has read it all once."""

    def __init__(self, folder: Path, events: int) -> None:
        self.writer = JournalWriter(folder, actor="alice@host").open()
        for i in range(events):
            self.writer.append(*sample_event(i))
        if events:
            self.writer.append_durable(*sample_event(events))
        self.tail = JournalTail(folder)
        start = time.perf_counter()
        self.tail.poll()
        self.first_read_s = time.perf_counter() - start
        self.count = events

    def round(self) -> tuple[float, float]:
        """Seconds from append to seen, and of the poll that saw it."""
        self.count += 1
        start = time.perf_counter()
        self.writer.append_durable(*sample_event(self.count))
        while True:
            poll_start = time.perf_counter()
            batch = self.tail.poll()
            if batch.events:
                end = time.perf_counter()
                assert not batch.problems and batch.events[-1].seq == self.writer.last_seq
                return end - start, end - poll_start

    def idle_poll_s(self) -> float:
        """Seconds per poll when nothing was appended."""
        poll = self.tail.poll
        start = time.perf_counter()
        for _ in range(IDLE_POLLS):
            poll()
        return (time.perf_counter() - start) / IDLE_POLLS

    def close(self) -> None:
        """Release the writer and the tail."""
        self.writer.close()
        self.tail.close()


def main() -> int:
    """Measure both journals in alternating rounds, print the JSON report, return the exit code."""
    with tempfile.TemporaryDirectory(prefix="bench-journal-tail-") as tmp:
        big = Followed(Path(tmp) / "big", BIG_EVENTS)
        empty = Followed(Path(tmp) / "empty", 0)
        try:
            rounds: dict[str, list[tuple[float, float]]] = {"big": [], "empty": []}
            for _ in range(ROUNDS):
                rounds["big"].append(big.round())
                rounds["empty"].append(empty.round())
            idle_big, idle_empty = big.idle_poll_s(), empty.idle_poll_s()
            start = time.perf_counter()
            load_state(Path(tmp) / "big", live=True)
            full_reread = time.perf_counter() - start
            state_ok = big.tail.state.event_count == big.writer.last_seq
            first_read = big.first_read_s
        finally:
            big.close()
            empty.close()

    def median_us(name: str, part: int) -> float:
        return statistics.median(r[part] for r in rounds[name]) * 1e6

    seen_ratio = median_us("big", 0) / median_us("empty", 0)
    poll_ratio = median_us("big", 1) / median_us("empty", 1)
    report = {
        "big_journal_events": BIG_EVENTS,
        "rounds": ROUNDS,
        "append_to_seen_us": {"big": round(median_us("big", 0), 1),
                              "empty": round(median_us("empty", 0), 1)},
        "ratio_append_to_seen": round(seen_ratio, 3),
        "poll_that_sees_it_us": {"big": round(median_us("big", 1), 1),
                                 "empty": round(median_us("empty", 1), 1)},
        "ratio_poll_that_sees_it": round(poll_ratio, 3),
        "ratio_target": RATIO_TARGET,
        "idle_poll_us": {"big": round(idle_big * 1e6, 2), "empty": round(idle_empty * 1e6, 2)},
        "first_read_of_big_journal_s": round(first_read, 3),
        "full_reread_per_change_ms_before_the_tail": round(full_reread * 1e3, 1),
        "incremental_state_matches": state_ok,
    }
    missed = []
    if seen_ratio > RATIO_TARGET:
        missed.append(f"append-to-seen at {BIG_EVENTS} events is {seen_ratio:.2f}x the empty "
                      f"journal's (target {RATIO_TARGET}x)")
    if poll_ratio > RATIO_TARGET:
        missed.append(f"the poll that sees an event at {BIG_EVENTS} events is {poll_ratio:.2f}x "
                      f"the empty journal's (target {RATIO_TARGET}x)")
    if not state_ok:
        missed.append("the tail's incremental state lost events")
    report["targets_missed"] = missed
    print(json.dumps(report, indent=2))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
