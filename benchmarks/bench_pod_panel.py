"""The pod panel (Line API) against Textual's DataTable, side by side in one run, each in a
headless `app.run_test()` app of the same size (120×40) holding the same rows.

- change: 1 % of 5,000 pods change (one second's worth, 50 pods, in one snapshot): the event
  loop's CPU time (thread time) from the call to the end of the frame that shows it — the
  panel's `apply`, or DataTable's `update_cell` for every cell that differs (its best
  incremental path), the widget's idle work, the compositor update and the terminal encoding of
  that update (what the headless driver would write). Median of ROUNDS (`*_wall_ms`: the same
  span in wall-clock time, which adds the wait for the screen's 60 Hz tick). Also: the same
  with the 50 changed pods among those on screen (the panel's worst case), and DataTable's
  rebuild (`clear` + `add_rows`). Targets: panel ≤ 16.7 ms and ≥ 10× faster than DataTable.
- keys: wall-clock time from a Down key press (posted to the app as a terminal key is) to the
  first frame drawn with the cursor on the next pod (holding Down: most presses scroll the
  list, so the frame repaints every line), p95 of KEY_PRESSES, idle and while a feed applies
  1 %/s of 5,000 pods as 5 snapshots a second. Targets: busy p95 < 50 ms and ≤ 3× idle p95.
- relist: a re-list of 5,000 pods (every row a new object, 1 % changed) applied and drawn
  while a 1 ms heartbeat runs in the loop: the longest gap between heartbeats beyond their 1 ms
  (the longest event-loop stall). Target < 50 ms. DataTable's `clear` + `add_rows` measured
  the same way.
- memory: in a fresh child process, 50,000 pods built as rows, applied, and scrolled end to end
  a page at a time (each page drawn): peak RSS of the process (ru_maxrss: Python, Textual and
  everything) and the wall-clock time per page (press to frame), and, in a second child,
  tracemalloc's peak of Python allocations from before the rows are built. Target: peak RSS
  < 300 MB. Also the re-list stall at 50,000 pods (no target).

Prints JSON; exits 1 if a target is missed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from rich.text import Text
from textual import events
from textual._compositor import CompositorUpdate
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.domain.pods import PodHealth, PodRow, age_text, restarts_text
from tui.domain.rollout import ReplicaSetInfo
from widgets.pod_panel import PodPanel
from widgets.text import inert

PODS, BIG = 5_000, 50_000
SIZE = (120, 40)
ROUNDS = 30
KEY_PRESSES = 150
FRAME_MS = 1000 / 60
RATIO_TARGET, KEY_TARGET_MS, KEY_RATIO_TARGET = 10.0, 50.0, 3.0
STALL_TARGET_MS, MEMORY_TARGET_MB = 50.0, 300.0
NOW = 1_800_000_000.0
HASHES = ("5f8d7c9b4d", "7c6b5d8f9a")
STATES = [("Running", PodHealth.READY, 1)] * 97 + [
    ("CrashLoopBackOff", PodHealth.FAILING, 0), ("ContainerCreating", PodHealth.PENDING, 0),
    ("Running", PodHealth.RUNNING_NOT_READY, 0)]
COLUMNS = ("", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "REV", "VERSION", "NODE")


@dataclasses.dataclass(frozen=True)
class Snap:
    """A reflector snapshot's shape."""

    rows: Mapping[str, PodRow]
    added: frozenset[str]
    changed: frozenset[str]
    removed: frozenset[str]
    relisted: bool


def make_rows(count: int, rng: random.Random) -> dict[str, PodRow]:
    """`count` pods of two revisions, mostly ready, spread over 50 nodes, in list order."""
    rows = {}
    for index in range(count):
        pod_hash = HASHES[index % 2]
        status, health, ready = rng.choice(STATES)
        uid = f"{index:08x}-0000-4000-8000-{rng.getrandbits(48):012x}"
        rows[uid] = PodRow(
            uid=uid, name=f"fleet-{pod_hash}-{rng.getrandbits(25):07x}"[:24],
            namespace="production", ready=ready, total=1, status=status,
            restarts=rng.choice((0, 0, 0, 1, 3)), last_restart=NOW - rng.uniform(60, 600),
            created=NOW - rng.uniform(10, 86_400), node=f"node-{index % 50:02d}.drill.local",
            ip=f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}",
            pod_template_hash=pod_hash, version="1.1.0" if pod_hash == HASHES[0] else "1.0.0",
            images=("registry.drill.local/fleet:1.1.0",), health=health, last_termination=None,
            resource_version=str(index))
    # The API server lists in name order, and a reflector keeps list order.
    return dict(sorted(rows.items(), key=lambda item: item[1].name))


def mutate(row: PodRow, rng: random.Random) -> PodRow:
    """The pod after one change a live feed brings (status flip, restart, new version)."""
    status, health, ready = rng.choice(STATES[-4:] + [STATES[0]] * 2)
    return dataclasses.replace(row, status=status, health=health, ready=ready,
                               restarts=row.restarts + (health is PodHealth.FAILING),
                               resource_version=str(int(row.resource_version) + 1))


REPLICASETS = {h: ReplicaSetInfo(f"fleet-{h}", 2 - i, ("1.1.0", "1.0.0")[i], (), 2500, 2500,
                                 2500, 2500, h) for i, h in enumerate(HASHES)}


def cells(row: PodRow) -> tuple[Text, ...]:
    """A DataTable row as an app would fill it: every cluster string inert, status coloured."""
    colour = {PodHealth.READY: "green", PodHealth.FAILING: "bold red"}.get(row.health, "yellow")
    rs = REPLICASETS.get(row.pod_template_hash)
    return (Text("✓" if row.health is PodHealth.READY else "✗"), Text(inert(row.name)),
            Text(row.ready_text), Text(inert(row.status), style=colour),
            Text(restarts_text(row, NOW)), Text(age_text(row.created, NOW)),
            Text(str(rs.revision if rs else "?")), Text(inert(row.version)), Text(inert(row.node)))


class PanelApp(App[None]):
    """A screen that is one PodPanel."""

    def compose(self) -> ComposeResult:
        """The panel."""
        yield PodPanel(clock=lambda: NOW)

    @property
    def view(self) -> PodPanel:
        """The panel."""
        return self.query_one(PodPanel)


class TableApp(App[None]):
    """A screen that is one DataTable with the panel's columns."""

    def compose(self) -> ComposeResult:
        """The table."""
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        """Its columns, keyed."""
        table = self.query_one(DataTable)
        for title in COLUMNS:
            table.add_column(title, key=title or "symbol")

    @property
    def view(self) -> DataTable[Any]:
        """The table."""
        return self.query_one(DataTable)


def fill_table(table: DataTable[Any], rows: Iterable[PodRow]) -> None:
    """Every row, keyed by uid (sorted by name, as the panel)."""
    table.add_rows([cells(r) for r in rows])


def encode_frames(app: App[Any], probe: Callable[[], object] = lambda: None) -> None:
    """Make the headless app encode each update as a terminal would get it (the cost of the
    write that headless mode skips), so drawing is timed in full; each frame is recorded as
    (wall time, loop CPU time, what `probe` said when it was drawn)."""
    display = app._display

    def encoded(screen: Any, renderable: Any) -> None:
        shows = probe()
        display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)
            app._frames.append((time.perf_counter(), time.thread_time(), shows))  # type: ignore
            app._frame_drawn.set()  # type: ignore[attr-defined]

    app._frames = []  # type: ignore[attr-defined]
    app._frame_drawn = asyncio.Event()  # type: ignore[attr-defined]
    app._display = encoded  # type: ignore[method-assign]


async def drawn(app: App[Any], frames: int) -> tuple[float, float, object]:
    """Wait (without polling) for the next frame after the first `frames` ones: its (wall,
    loop CPU, probe) record."""
    while len(app._frames) <= frames:  # type: ignore[attr-defined]
        app._frame_drawn.clear()  # type: ignore[attr-defined]
        await asyncio.wait_for(app._frame_drawn.wait(), 5)  # type: ignore[attr-defined]
    return app._frames[frames]  # type: ignore[attr-defined]


async def timed(app: App[Any], change: Callable[[], None]) -> tuple[float, float]:
    """ms from making a change to the frame that shows it: (loop CPU, wall clock).

    The loop's thread CPU time counts the work (the change, the widget's idle processing, the
    compositor, the encoding) and not the wait for the screen's next 60 Hz tick.
    """
    await asyncio.sleep(0.02)  # let any earlier frame finish
    frames = len(app._frames)  # type: ignore[attr-defined]
    wall, cpu = time.perf_counter(), time.thread_time()
    change()
    wall_end, cpu_end, _ = await drawn(app, frames)
    return (cpu_end - cpu) * 1000, (wall_end - wall) * 1000


def sorted_rows(rows: Mapping[str, PodRow]) -> list[PodRow]:
    """Rows in the panel's default order."""
    return sorted(rows.values(), key=lambda r: (r.name, r.uid))


# ---- 1: a change applied and drawn ---------------------------------------------------------

async def change_figures(rng: random.Random) -> dict[str, Any]:
    """Median ms (loop CPU) to apply and draw one second of 1 % changes, panel and DataTable."""
    rows = make_rows(PODS, rng)
    figures: dict[str, Any] = {}
    panel_app, table_app = PanelApp(), TableApp()
    async with panel_app.run_test(size=SIZE) as pilot:
        panel = panel_app.view
        panel.set_replicasets(REPLICASETS)
        panel.apply(Snap(MappingProxyType(dict(rows)), frozenset(rows), frozenset(), frozenset(),
                         True))
        await pilot.pause()
        encode_frames(panel_app)
        for on_screen in (False, True):
            cpu, wall = [], []
            for _ in range(ROUNDS):
                pool = panel.order.uids()[:30] if on_screen else list(rows)
                chosen = rng.sample(pool, min(PODS // 100, len(pool)))
                for uid in chosen:
                    rows[uid] = mutate(rows[uid], rng)
                snap = Snap(MappingProxyType(dict(rows)), frozenset(), frozenset(chosen),
                            frozenset(), False)
                spent, waited = await timed(panel_app, lambda s=snap: panel.apply(s))
                cpu.append(spent)
                wall.append(waited)
            name = "panel_on_screen" if on_screen else "panel"
            figures[f"{name}_ms"] = statistics.median(cpu)
            figures[f"{name}_wall_ms"] = statistics.median(wall)
    async with table_app.run_test(size=SIZE) as pilot:
        table = table_app.view
        fill_table(table, sorted_rows(rows))
        await pilot.pause()
        key_of_uid = dict(zip((r.uid for r in sorted_rows(rows)), table.rows, strict=True))
        shown: dict[str, tuple[Text, ...]] = {r.uid: cells(r) for r in rows.values()}
        encode_frames(table_app)

        def update_cells(chosen: list[str]) -> None:
            for uid in chosen:
                new = cells(rows[uid])
                for column, (old_cell, new_cell) in enumerate(zip(shown[uid], new, strict=True)):
                    if old_cell.plain != new_cell.plain or old_cell.style != new_cell.style:
                        table.update_cell(key_of_uid[uid], COLUMNS[column] or "symbol", new_cell)
                shown[uid] = new

        cpu, wall, rebuild = [], [], []
        for _ in range(ROUNDS):
            chosen = rng.sample(list(rows), PODS // 100)
            for uid in chosen:
                rows[uid] = mutate(rows[uid], rng)
            spent, waited = await timed(table_app, lambda c=chosen: update_cells(c))
            cpu.append(spent)
            wall.append(waited)

        def rebuild_table() -> None:
            table.clear()
            fill_table(table, sorted_rows(rows))

        for _ in range(3):
            rebuild.append((await timed(table_app, rebuild_table))[0])
        figures["datatable_update_cell_ms"] = statistics.median(cpu)
        figures["datatable_update_cell_wall_ms"] = statistics.median(wall)
        figures["datatable_rebuild_ms"] = statistics.median(rebuild)
    figures["ratio"] = figures["datatable_update_cell_ms"] / figures["panel_ms"]
    return figures


# ---- 2: key press to cursor moved ----------------------------------------------------------

async def key_latencies(app: PanelApp, presses: int) -> list[float]:
    """ms from posting a Down key to the first frame drawn after the cursor moved."""
    panel = app.view
    latencies = []
    for _ in range(presses):
        if (panel.cursor_index or 0) >= len(panel.order) - 2:
            panel.move_cursor(0)
            await asyncio.sleep(0.05)
        target = (panel.cursor_index or 0) + 1
        frames = len(app._frames)  # type: ignore[attr-defined]
        started = time.perf_counter()
        app.post_message(events.Key("down", None))
        while True:  # the first frame drawn with the cursor on the target line
            wall, _, cursor = await drawn(app, frames)
            if cursor == target:
                break
            frames += 1
        latencies.append((wall - started) * 1000)
        await asyncio.sleep(random.uniform(0.03, 0.08))
    return latencies


async def feed(app: PanelApp, rows: dict[str, PodRow], rng: random.Random,
               stop: asyncio.Event) -> None:
    """1 % of the pods a second, as 5 coalesced snapshots a second (the reflector's 0.2 s)."""
    while not stop.is_set():
        chosen = rng.sample(list(rows), PODS // 100 // 5)
        for uid in chosen:
            rows[uid] = mutate(rows[uid], rng)
        app.view.apply(Snap(MappingProxyType(dict(rows)), frozenset(), frozenset(chosen),
                            frozenset(), False))
        await asyncio.sleep(0.2)


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    return statistics.quantiles(values, n=20)[-1]


async def key_figures(rng: random.Random) -> dict[str, Any]:
    """Key-to-cursor p95, idle and while the feed runs."""
    rows = make_rows(PODS, rng)
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        app.view.set_replicasets(REPLICASETS)
        app.view.apply(Snap(MappingProxyType(dict(rows)), frozenset(rows), frozenset(),
                            frozenset(), True))
        app.view.focus()
        await pilot.pause()
        encode_frames(app, lambda: app.view.cursor_index)
        idle = await key_latencies(app, KEY_PRESSES)
        stop = asyncio.Event()
        task = asyncio.create_task(feed(app, rows, rng, stop))
        busy = await key_latencies(app, KEY_PRESSES)
        stop.set()
        await task
    return {"idle_p95_ms": p95(idle), "busy_p95_ms": p95(busy),
            "idle_median_ms": statistics.median(idle), "busy_median_ms": statistics.median(busy),
            "ratio": p95(busy) / p95(idle)}


# ---- 3: the longest stall of a re-list -----------------------------------------------------

async def longest_stall(action: Callable[[], Any], settle: float = 0.6) -> float:
    """ms of the longest event-loop stall while `action` runs and its result is drawn."""
    gaps: list[float] = []
    stop = asyncio.Event()

    async def heartbeat() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            gaps.append((time.perf_counter() - started) * 1000 - 1.0)

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0.1)
    gaps.clear()
    action()
    await asyncio.sleep(settle)
    stop.set()
    await beat
    return max(gaps)


async def relist_figures(rng: random.Random, count: int = PODS,
                         datatable: bool = True) -> dict[str, Any]:
    """Longest stall of a re-list: the panel's apply, DataTable's clear + add_rows."""
    rows = make_rows(count, rng)
    figures: dict[str, Any] = {}
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.view
        panel.set_replicasets(REPLICASETS)

        def relisted(first: bool = False) -> Snap:
            """Every row a new object (1 % changed), as a re-list hands them over."""
            for uid in list(rows):
                rows[uid] = (mutate(rows[uid], rng) if rng.random() < 0.01
                             else dataclasses.replace(rows[uid]))
            return Snap(MappingProxyType(dict(rows)), frozenset(rows) if first else frozenset(),
                        frozenset(rows), frozenset(), True)

        first = relisted(True)
        figures["panel_first_list_stall_ms"] = await longest_stall(lambda: panel.apply(first))
        stalls = []
        for _ in range(3):
            snap = relisted()
            stalls.append(await longest_stall(lambda s=snap: panel.apply(s)))
        figures["panel_relist_stall_ms"] = max(stalls)
        await pilot.pause()
    if datatable:
        table_app = TableApp()
        async with table_app.run_test(size=SIZE) as pilot:
            table = table_app.view

            def rebuild() -> None:
                table.clear()
                fill_table(table, sorted_rows(rows))

            figures["datatable_first_fill_stall_ms"] = await longest_stall(
                lambda: fill_table(table, sorted_rows(rows)), settle=2.0)
            figures["datatable_rebuild_stall_ms"] = await longest_stall(rebuild, settle=2.0)
    return figures


# ---- 4: 50,000 pods held and scrolled ------------------------------------------------------

async def hold_and_scroll(count: int) -> dict[str, Any]:
    """Build `count` rows, show them, scroll end to end a page at a time drawing each page."""
    rows = make_rows(count, random.Random(7))
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        panel = app.view
        panel.set_replicasets(REPLICASETS)
        panel.apply(Snap(MappingProxyType(rows), frozenset(rows), frozenset(), frozenset(), True))
        panel.focus()
        await pilot.pause()
        pages = 0
        started = time.perf_counter()
        encode_frames(app)
        while (panel.cursor_index or 0) < len(panel.order) - 1:
            frames = len(app._frames)  # type: ignore[attr-defined]
            panel.action_page(1)
            await drawn(app, frames)
            pages += 1
        scrolled = time.perf_counter() - started
        assert panel.cursor_row is not None and panel.cursor_index == count - 1
    return {"pages": pages, "scroll_ms_per_page": scrolled * 1000 / pages}


def memory_child(mode: str) -> None:
    """Run in a fresh interpreter: print the figures for `mode` (rss or tracemalloc)."""
    if mode == "tracemalloc":
        tracemalloc.start()
    figures = asyncio.run(hold_and_scroll(BIG))
    if mode == "tracemalloc":
        # Tracing slows everything down: only the memory figure counts from this run.
        figures = {"tracemalloc_peak_mb": tracemalloc.get_traced_memory()[1] / 2 ** 20}
    else:
        figures["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def in_child(mode: str) -> dict[str, Any]:
    """The memory figures measured in a child process."""
    done = subprocess.run([sys.executable, __file__, "--child", mode], capture_output=True,
                          text=True, check=True, timeout=900)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    """Measure, print JSON, and return 1 if a target was missed."""
    rng = random.Random(1)
    change = asyncio.run(change_figures(rng))
    keys = asyncio.run(key_figures(rng))
    relist = asyncio.run(relist_figures(rng))
    big_relist = asyncio.run(relist_figures(rng, BIG, datatable=False))
    memory = {**in_child("rss"), **in_child("tracemalloc")}
    misses = []
    if change["panel_ms"] > FRAME_MS or change["panel_on_screen_ms"] > FRAME_MS:
        misses.append("change: applying and drawing takes longer than a 60 Hz frame")
    if change["ratio"] < RATIO_TARGET:
        misses.append(f"change: less than {RATIO_TARGET:.0f}× faster than DataTable")
    if keys["busy_p95_ms"] >= KEY_TARGET_MS or keys["ratio"] > KEY_RATIO_TARGET:
        misses.append("keys: busy p95 ≥ 50 ms or more than 3× idle")
    if relist["panel_relist_stall_ms"] >= STALL_TARGET_MS:
        misses.append("relist: a stall of 50 ms or more")
    if memory["rss_peak_mb"] >= MEMORY_TARGET_MB:
        misses.append("memory: peak RSS of 300 MB or more")
    print(json.dumps({
        "pods": PODS, "terminal": f"{SIZE[0]}x{SIZE[1]}",
        "change_apply_and_draw": change, "key_to_cursor": keys, "relist_longest_stall": relist,
        "relist_longest_stall_50000": big_relist, "memory_50000": memory,
        "targets": {"change_ms": FRAME_MS, "change_ratio": RATIO_TARGET,
                    "key_p95_ms": KEY_TARGET_MS, "key_ratio": KEY_RATIO_TARGET,
                    "stall_ms": STALL_TARGET_MS, "rss_mb": MEMORY_TARGET_MB},
        "misses": misses}, indent=2))
    return 1 if misses else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        memory_child(sys.argv[2])
        sys.exit(0)
    sys.exit(main())
