"""Benchmark the timeline's tail: does one more journal event cost more in a long incident?

Run: `python benchmarks/bench_timeline_append.py` — prints JSON, exits 1 when a target is missed.
One round appends an entry to a Timeline and redraws its visible lines (what the compositor asks
for on the next frame). Rounds alternate between a timeline holding its full tail (2,000 entries)
and one holding ten, in the same headless app, so both share the machine's noise; the target
compares their medians. For scale, the report includes the way a view is often written instead:
a Static re-rendering every entry's line on each event (`Static.update`), at the same sizes.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.domain.timeline import EventCategory, EventSeverity, Symbol, TimelineEntry
from widgets.text import line_text
from widgets.timeline import Timeline, entry_lines

BIG, SMALL = 2000, 10
ROUNDS = 300
RATIO_TARGET = 2.0
SIZE = (100, 30)


def entry(seq: int) -> TimelineEntry:
    """A step line of the usual length."""
    return TimelineEntry(seq, "2026-11-30T04:26:00.000Z", "04:26:00", "alice@laptop",
                         EventCategory.STEP, Symbol.OK,
                         f"step rollout_status ok: deployment \"checkout\" successfully rolled "
                         f"out ({seq})", EventSeverity.OK)


class Bench(App[None]):
    """Two timelines and two Statics, one pair big and one small."""

    CSS = "Timeline, Static { height: 30; }"

    def compose(self) -> ComposeResult:
        """The four views, pre-filled."""
        yield Timeline([entry(i) for i in range(BIG)], max_items=BIG, id="big")
        yield Timeline([entry(i) for i in range(SMALL)], max_items=BIG, id="small")
        yield Static(id="static-big")
        yield Static(id="static-small")


def redraw(view: Timeline) -> None:
    for y in range(view.size.height):
        view.render_line(y)


def rebuild(static: Static, entries: list[TimelineEntry]) -> None:
    """The naive view: every entry's line again, as one Text."""
    lines = [line_text(line) for e in entries[-BIG:] for line in entry_lines(e, SIZE[0])]
    static.update(Text("\n".join(lines)))


async def measure() -> dict[str, float]:
    app = Bench()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        big, small = app.query_one("#big", Timeline), app.query_one("#small", Timeline)
        static_big, static_small = app.query_one("#static-big", Static), app.query_one(
            "#static-small", Static)
        big_entries = [entry(i) for i in range(BIG)]
        small_entries = [entry(i) for i in range(SMALL)]
        times: dict[str, list[float]] = {k: [] for k in ("big", "small", "static_big",
                                                            "static_small")}
        for n in range(ROUNDS):
            for key, view in (("big", big), ("small", small)):
                start = time.perf_counter()
                view.append(entry(BIG + n))
                redraw(view)
                times[key].append(time.perf_counter() - start)
            for key, static, entries in (("static_big", static_big, big_entries),
                                         ("static_small", static_small, small_entries)):
                entries.append(entry(BIG + n))
                start = time.perf_counter()
                rebuild(static, entries)
                times[key].append(time.perf_counter() - start)
            if n % 50 == 0:
                await pilot.pause()
        return {k: statistics.median(v) * 1e6 for k, v in times.items()}


def main() -> int:
    medians = asyncio.run(measure())
    ratio = medians["big"] / medians["small"]
    report = {
        "append_and_redraw_us": {"at_2000": round(medians["big"], 1),
                                 "at_10": round(medians["small"], 1)},
        "ratio_2000_vs_10": round(ratio, 2), "ratio_target": RATIO_TARGET,
        "static_rebuild_us": {"at_2000": round(medians["static_big"], 1),
                              "at_10": round(medians["static_small"], 1)},
        "ok": ratio <= RATIO_TARGET,
    }
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
