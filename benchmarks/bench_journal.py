"""Benchmark the incident journal: caller cost per append, durable throughput, replay time.

Run: `python benchmarks/bench_journal.py` — prints JSON, exits 1 when a target is missed.
Each figure is the median and the best of several rounds (a shared machine is noisy). The
replay target is checked on the best round, the caller ratio on the medians of the same run.
The caller target compares an append with what a synchronous journal costs its caller: serialise
the same line dict and write it to a buffered file, no fsync. A bare write of pre-serialised
bytes is reported too, for scale. The journal is keyed as every session's is (each line carries
its HMAC, a clean close appends a seal); the baselines carry no MAC.

The full per-event cost of a durable append (append, encode, write, fsync, acknowledgement) is
compared with a synchronous journal that makes each event durable itself: serialise, write,
flush and fsync, one event at a time, in the same folder and run. One `append_durable` at a time
must cost at most DURABLE_RATIO_TARGET times that (the two alternate event by event). In a burst
(group commit) the wall time to durability per event is reported too; the writer's encoding,
not the fsync, bounds it, so it depends on the CPU the machine leaves it.
"""

from __future__ import annotations

import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.adapters.journal import JournalWriter, load_state, utc_timestamp
from tui.domain.incident import GENESIS
from tui.domain.journal_auth import JournalKey, verify_journal

APPENDS = 20_000
REPLAY_EVENTS = 100_000
ROUNDS = 5
CALLER_RATIO_TARGET = 1.5
REPLAY_TARGET_S = 1.0
DURABLE_RATIO_TARGET = 2.0  # a hand-off to the writer thread and back, no more
DURABLE_SAMPLES = 200
KEY = JournalKey(secrets.token_bytes(32))


def sample_event(i: int) -> tuple[str, dict[str, Any]]:
    """Return a realistic event (type, data) for index i: the mix a rollback produces."""
    kind = i % 4
    if kind == 0:
        return "step.started", {"step_id": f"s{i % 40}", "title": "Undo rollout", "dry_run": False}
    if kind == 1:
        detail = "deployment.apps/checkout rolled back to revision 41"
        return "step.finished", {"step_id": f"s{i % 40}", "status": "ok", "detail": detail}
    if kind == 2:
        return "check.recorded", {"item_id": f"c{i % 25}", "status": "pass", "note": ""}
    return "note.added", {"text": f"error rate back under 1% on pod {i}"}


EVENTS = [sample_event(i) for i in range(APPENDS)]


def median_and_best(rounds: list[float], *, scale: float = 1.0, higher: bool = False) -> dict:
    """Summarise per-round figures (times scaled, e.g. to µs; `higher` when more is better)."""
    best = max(rounds) if higher else min(rounds)
    return {"median": round(statistics.median(rounds) * scale, 3), "best": round(best * scale, 3)}


def event_dicts() -> list[dict[str, Any]]:
    """The benchmark events as complete journal line dicts (ts and prev filled in)."""
    ts = utc_timestamp(time.time())
    actor = "alice@host"
    return [
        {"v": 1, "seq": seq, "ts": ts, "actor": actor, "type": kind, "data": data, "prev": GENESIS}
        for seq, (kind, data) in enumerate(EVENTS, 1)
    ]


LINE_DICTS = event_dicts()
LINE_TEXTS = [json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n" for d in LINE_DICTS]


def baseline_round(folder: Path) -> dict[str, float]:
    """Seconds per event of buffered writes without fsync, with and without json.dumps."""
    with open(folder / "baseline.jsonl", "w", encoding="utf-8") as out:
        start = time.perf_counter()
        for line in LINE_DICTS:  # noqa: FURB122 - one call per event is what is measured
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        dumps_write = time.perf_counter() - start
        start = time.perf_counter()
        for text in LINE_TEXTS:  # noqa: FURB122 - one call per event is what is measured
            out.write(text)
        write_only = time.perf_counter() - start
    return {"dumps_write_s": dumps_write / APPENDS, "write_only_s": write_only / APPENDS}


def writer_round(folder: Path) -> dict[str, float]:
    """Caller wall and CPU seconds per append, and the durable throughput of the same run."""
    with JournalWriter(folder, actor="alice@host", secret_values=["hunter2-secret"],
                       key=KEY) as writer:
        append = writer.append
        cpu_start, start = time.thread_time(), time.perf_counter()
        for kind, data in EVENTS:
            last = append(kind, data)
        caller = time.perf_counter() - start
        caller_cpu = time.thread_time() - cpu_start
        last.wait()
        durable = time.perf_counter() - start
        fsyncs = writer.fsync_count
    return {
        "caller_s": caller / APPENDS,
        "caller_cpu_s": caller_cpu / APPENDS,
        "durable_per_s": APPENDS / durable,
        "fsyncs": fsyncs,
    }


def durable_latencies(folder: Path, count: int = DURABLE_SAMPLES) -> tuple[float, float]:
    """Median seconds of one `append_durable`, and of a write+fsync of the event by hand.

    The two alternate event by event, so that both meet the same disk and the same neighbours
    (an fsync waits for whatever else the file system is committing at that moment).
    """
    import os

    folder.mkdir(parents=True, exist_ok=True)
    journal, baseline = [], []
    with JournalWriter(folder / "journal", actor="alice@host", key=KEY) as writer, \
            open(folder / "baseline-durable.jsonl", "w", encoding="utf-8") as out:
        for i in range(count):
            start = time.perf_counter()
            writer.append_durable(*EVENTS[i])
            journal.append(time.perf_counter() - start)
            start = time.perf_counter()
            out.write(json.dumps(LINE_DICTS[i], ensure_ascii=False, separators=(",", ":"))
                      + "\n")
            out.flush()
            os.fsync(out.fileno())
            baseline.append(time.perf_counter() - start)
    return statistics.median(journal), statistics.median(baseline)


def replay_round(folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds to read, parse, verify and replay the journal in `folder`."""
    start, cpu_start = time.perf_counter(), time.process_time()
    state, parsed = load_state(folder)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    # The seal the writer appended on close is an event too.
    assert state.event_count == REPLAY_EVENTS + 1 and not parsed.problems
    return elapsed, cpu


def verify_round(folder: Path) -> float:
    """Wall seconds to verify the journal in `folder`: chain, every line's MAC, the seal."""
    data = (folder / "journal.jsonl").read_bytes()
    start = time.perf_counter()
    verdict = verify_journal(data, KEY)
    elapsed = time.perf_counter() - start
    assert verdict.ok and verdict.lines == REPLAY_EVENTS + 1, verdict.reason
    return elapsed


def timed_rounds(fn: Callable[[], Any]) -> list[Any]:
    """Run `fn` ROUNDS times."""
    return [fn() for _ in range(ROUNDS)]


def main() -> int:
    """Run every measurement, print the JSON report, return the exit code."""
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as tmp:
        root = Path(tmp)
        counter = iter(range(10**6))
        baseline = timed_rounds(lambda: baseline_round(root))
        writer = timed_rounds(lambda: writer_round(root / f"w{next(counter)}"))
        latency, fsync_each = durable_latencies(root / "latency")
        big = root / "replay"
        with JournalWriter(big, actor="alice@host", key=KEY) as source:
            for i in range(REPLAY_EVENTS):
                source.append(*EVENTS[i % APPENDS])
        replay = timed_rounds(lambda: replay_round(big))
        verify = timed_rounds(lambda: verify_round(big))
        journal_mb = (big / "journal.jsonl").stat().st_size / 1e6

    caller = [r["caller_s"] for r in writer]
    dumps_write = [r["dumps_write_s"] for r in baseline]
    write_only = [r["write_only_s"] for r in baseline]
    ratio = statistics.median(caller) / statistics.median(dumps_write)
    burst_rate = statistics.median(r["durable_per_s"] for r in writer)
    report = {
        "appends": APPENDS,
        "rounds": ROUNDS,
        "caller_us_per_append": median_and_best(caller, scale=1e6),
        "caller_cpu_us_per_append": median_and_best([r["caller_cpu_s"] for r in writer], scale=1e6),
        "baseline_dumps_write_us": median_and_best(dumps_write, scale=1e6),
        "baseline_write_only_us": median_and_best(write_only, scale=1e6),
        "ratio_caller_to_dumps_write": round(ratio, 3),
        "ratio_caller_to_write_only": round(
            statistics.median(caller) / statistics.median(write_only), 3
        ),
        "ratio_target": CALLER_RATIO_TARGET,
        "durable_events_per_s": median_and_best(
            [r["durable_per_s"] for r in writer], scale=1, higher=True
        ),
        "fsyncs_per_run": statistics.median(r["fsyncs"] for r in writer),
        "single_append_durable_ms": round(latency * 1e3, 3),
        "baseline_fsync_each_ms": round(fsync_each * 1e3, 3),
        "ratio_durable_to_fsync_each": round(latency / fsync_each, 3),
        "durable_ratio_target": DURABLE_RATIO_TARGET,
        "burst_durable_us_per_event": round(1e6 / burst_rate, 3),
        "replay_events": REPLAY_EVENTS,
        "replay_journal_mb": round(journal_mb, 1),
        "replay_s": median_and_best([wall for wall, _ in replay]),
        "replay_cpu_s": median_and_best([cpu for _, cpu in replay]),
        "replay_target_s": REPLAY_TARGET_S,
        "verify_with_macs_s": median_and_best(verify),
    }
    missed = []
    if ratio > CALLER_RATIO_TARGET:
        missed.append(f"caller/baseline ratio {ratio:.2f} > {CALLER_RATIO_TARGET}")
    if latency / fsync_each > DURABLE_RATIO_TARGET:
        missed.append(f"append_durable {latency * 1e3:.3f} ms > {DURABLE_RATIO_TARGET}x a "
                      f"write+fsync of the event ({fsync_each * 1e3:.3f} ms)")
    replay_best = min(wall for wall, _ in replay)
    if replay_best >= REPLAY_TARGET_S:
        missed.append(f"replay {replay_best:.3f}s >= {REPLAY_TARGET_S}s (best of {ROUNDS})")
    report["targets_missed"] = missed
    print(json.dumps(report, indent=2))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
