"""The pod panel: pure rendering (columns, cells, names, sort, filter, counts), its model kept
in step change by change, and the widget driven with Pilot (sort, filter, unhealthy, the cursor
across changes and re-lists, minimal repaints, details, hostile strings)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from widget_pods import (
    NEW_HASH,
    NOW,
    OLD_HASH,
    REPLICASETS,
    PanelApp,
    changed,
    listed,
    rollback_rows,
    row,
)

from tui.domain.pods import PodHealth
from widgets.feed_status import stale_text
from widgets.pod_columns import (
    ESSENTIAL,
    Column,
    choose_columns,
    header_pieces,
    matches,
    row_pieces,
    shorten_name,
    sort_key,
)
from widgets.pod_panel import PodPanel
from widgets.pod_view import PodCounts, PodOrder, problem_pieces, title_pieces

RS = {rs.pod_template_hash: rs for rs in REPLICASETS}


def text_of(pieces: list[tuple[str, str]]) -> str:
    """The characters of some pieces."""
    return "".join(text for text, _ in pieces)


# ---- columns and cells ---------------------------------------------------------------------

@pytest.mark.parametrize(("width", "expected"), [
    (57, ESSENTIAL),
    (77, (*ESSENTIAL, Column.REVISION)),
    (90, (*ESSENTIAL, Column.REVISION, Column.VERSION)),
    (117, (*ESSENTIAL, Column.REVISION, Column.VERSION, Column.NODE)),
])
def test_columns_drop_optional_ones_first_as_the_panel_narrows(width, expected) -> None:
    layout = choose_columns(width, 25)
    assert tuple(c for c, _ in layout) == expected
    assert sum(w for _, w in layout) + len(layout) + 1 <= width


def test_at_80_columns_the_kubectl_columns_and_a_whole_pod_name_fit() -> None:
    layout = dict(choose_columns(77, 25))  # 80 minus the border and the scrollbar
    assert set(ESSENTIAL) <= set(layout) and layout[Column.NAME] >= 25
    assert layout[Column.RESTARTS] >= 12  # `6 (2m ago)` as kubectl writes it


def test_very_narrow_panels_keep_every_essential_column() -> None:
    for width in (30, 40, 50):
        layout = choose_columns(width, 25)
        assert tuple(c for c, _ in layout) == ESSENTIAL
        assert dict(layout)[Column.RESTARTS] == 3  # the count alone, headed RST


def test_a_pod_name_keeps_its_hash_and_suffix_when_cut() -> None:
    name = "checkout-655b57ff64-x2k9d"
    assert shorten_name(name, 25) == name
    assert shorten_name(name, 20) == "che…655b57ff64-x2k9d"
    assert shorten_name(name, 17).endswith("5b57ff64-x2k9d") and len(shorten_name(name, 17)) == 17
    assert cell_len(shorten_name("長い名前のポッド-abc-def", 10)) == 10
    assert shorten_name("x" * 40, 10) == "xxx…xxxxxx"


def test_a_row_is_styled_cells_of_exactly_the_layout_width() -> None:
    crash = row("checkout-7dc4ccd75d-8zgmf", "CrashLoopBackOff", PodHealth.FAILING,
                restarts=6, age=3660, pod_hash=OLD_HASH, version="2.4.0")
    for width in (40, 57, 77, 117, 160):
        layout = choose_columns(width, 25)
        pieces = row_pieces(crash, layout, NOW, RS[OLD_HASH])
        assert cell_len(text_of(pieces)) == sum(w for _, w in layout) + len(layout) + 2
    pieces = row_pieces(crash, choose_columns(117, 25), NOW, RS[OLD_HASH])
    assert text_of(pieces).split() == ["✗", "checkout-7dc4ccd75d-8zgmf", "0/1",
                                       "CrashLoopBackOff", "6", "(2m", "ago)", "61m", "3",
                                       "2.4.0", "drill-node-1"]
    roles = {text.strip(): role for text, role in pieces}
    assert roles["✗"] == roles["CrashLoopBackOff"] == "failing"
    assert roles["0/1"] == "warn" and roles["6 (2m ago)"] == "warn"


def test_every_health_has_its_own_symbol() -> None:
    symbols = {text_of(row_pieces(row("p", health=h), (), NOW)).strip() for h in PodHealth}
    assert len(symbols) == len(PodHealth)


def test_the_header_marks_the_sorted_column() -> None:
    layout = choose_columns(77, 25)
    text = text_of(header_pieces(layout, Column.AGE, True))
    assert "AGE▼" in text and "NAME▲" not in text and "RESTARTS" in text
    assert cell_len(text) == cell_len(text_of(row_pieces(row("p"), layout, NOW)))


# ---- sort, filter, counts ------------------------------------------------------------------

def test_sort_keys_put_what_needs_attention_first() -> None:
    rows = rollback_rows()
    by_status = sorted(rows, key=lambda r: sort_key(r, Column.STATUS))
    assert [r.status for r in by_status] == ["CrashLoopBackOff", "ContainerCreating",
                                             "Terminating", "Running"]
    assert min(rows, key=lambda r: sort_key(r, Column.RESTARTS)).restarts == 6
    assert min(rows, key=lambda r: sort_key(r, Column.AGE)).status == "ContainerCreating"
    assert [sort_key(r, Column.REVISION, RS[r.pod_template_hash])[0]
            for r in sorted(rows, key=lambda r: sort_key(r, Column.REVISION,
                                                         RS[r.pod_template_hash]))] == [
        -4, -4, -3, -3]


def test_the_filter_matches_every_word_in_name_status_node_or_version() -> None:
    crash = rollback_rows()[2]
    assert matches(crash, ("crash",)) and matches(crash, ("8zgmf", "node-2"))
    assert matches(crash, ("2.4.0",)) and not matches(crash, ("crash", "node-1"))


def test_title_counts_ready_revisions_and_problems() -> None:
    counts = PodCounts.of(rollback_rows())
    assert text_of(title_pieces(counts, RS)) == (
        "◐ 1/4 ready · rev 4 (2.3.1) 2 · rev 3 (2.4.0) 2")
    assert text_of(problem_pieces(counts)) == (
        "✗ 1 CrashLoopBackOff · ◌ 1 ContainerCreating · ↓ 1 Terminating")
    done = PodCounts.of([row(f"checkout-{NEW_HASH}-{i}") for i in "abc"])
    # The drained bad release stays in the title at 0.
    assert text_of(title_pieces(done, RS)) == "✓ 3/3 ready · rev 4 (2.3.1) 3 · rev 3 (2.4.0) 0"
    assert problem_pieces(done) == []


def test_a_stale_feed_says_how_old_and_when_it_retries() -> None:
    class Status:
        state, retry_in, stale_since = "retrying", 4.0, NOW - 42

    assert stale_text(Status(), NOW, NOW - 1) == "STALE 42s · retrying in 3s"
    assert stale_text(Status(), NOW, NOW - 5) == "STALE 42s · retrying now"
    Status.state, Status.stale_since = "watching", None
    assert stale_text(Status(), NOW, NOW) == "" and stale_text(None, NOW, NOW) == ""


OPS = st.lists(st.tuples(st.sampled_from(["add", "change", "remove"]), st.integers(0, 30),
                         st.integers(0, 5)), max_size=60)


@settings(max_examples=60, deadline=None)
@given(ops=OPS, column=st.sampled_from(list(Column)), reverse=st.booleans(),
       words=st.sampled_from(["", "crash", "node-2", "b"]))
def test_incremental_order_and_counts_equal_a_fresh_rebuild(ops, column, reverse,
                                                             words) -> None:
    statuses = [("Running", PodHealth.READY), ("CrashLoopBackOff", PodHealth.FAILING),
                ("Pending", PodHealth.PENDING), ("Terminating", PodHealth.TERMINATING)]
    order, counts, rows = PodOrder(column, reverse), PodCounts(), {}
    order.set_filter(words)
    order.set_replicasets(RS)
    for op, number, variant in ops:
        name = f"checkout-{(NEW_HASH, OLD_HASH)[number % 2]}-{number:05d}"
        uid = f"uid-{number}"
        old = rows.get(uid)
        if op == "remove" or (op == "change" and old is None):
            if old is not None:
                del rows[uid]
                counts.remove(old)
        else:
            status, health = statuses[variant % 4]
            new = row(name, status, health, restarts=variant, age=100 + number * variant,
                      node=f"drill-node-{variant}", pod_hash=(NEW_HASH, OLD_HASH)[number % 2])
            rows[uid] = new
            if old is not None:
                counts.remove(old)
            counts.add(new)
        order.update(dict(rows), [uid])
    fresh = PodOrder(column, reverse)
    fresh.set_filter(words)
    fresh.set_replicasets(RS)
    fresh.rebuild(dict(rows))
    assert order.uids() == fresh.uids()
    assert [order.index_of(u) for u in fresh.uids()] == list(range(len(fresh)))
    again = PodCounts.of(rows.values())
    assert (counts.total, counts.ready, +counts.by_hash, +counts.problems) == (
        again.total, again.ready, +again.by_hash, +again.problems)


# ---- the widget ----------------------------------------------------------------------------

def many(count: int, seed: int = 3) -> list:
    """`count` pods, a few unhealthy, names in list order."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        health = PodHealth.FAILING if index in (37, 61) else PodHealth.READY
        rows.append(row(f"fleet-{NEW_HASH}-{index:05d}",
                        "CrashLoopBackOff" if health is PodHealth.FAILING else "Running", health,
                        restarts=rng.choice((0, 1)), age=rng.uniform(10, 5000)))
    return rows


async def test_sort_cycles_columns_and_reverses() -> None:
    app = PanelApp(rollback_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.panel
        assert [panel.order.rows[u].name[-5:] for u in panel.order.uids()] == [
            "q8d1m", "x2k9d", "8zgmf", "k8g8w"]
        await pilot.press("s", "s")
        assert panel.order.sort is Column.STATUS
        assert panel.order.rows[panel.order.uid_at(0)].status == "CrashLoopBackOff"
        await pilot.press("S")
        assert panel.order.reverse and panel.order.rows[panel.order.uid_at(3)].status == (
            "CrashLoopBackOff")


async def test_filter_as_you_type_and_escape_clears_it() -> None:
    app = PanelApp(many(300))
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.panel
        await pilot.press("slash", "c", "r", "a", "s", "h")
        assert panel.editing and panel.filter_text == "crash" and len(panel.order) == 2
        assert panel.cursor_row is not None and panel.cursor_row.status == "CrashLoopBackOff"
        await pilot.press("s")  # typed into the filter, not a sort
        assert panel.filter_text == "crashs" and panel.order.sort is Column.NAME
        await pilot.press("backspace", "enter")
        assert not panel.editing and len(panel.order) == 2
        await pilot.press("escape")
        assert panel.filter_text == "" and len(panel.order) == 300


async def test_jump_to_the_next_unhealthy_pod_wraps() -> None:
    app = PanelApp(many(300))
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.panel
        await pilot.press("u")
        assert panel.cursor_index == 37 and panel.cursor_row.health is PodHealth.FAILING
        top = round(panel.scroll_y)
        assert top <= 37 < top + panel.scrollable_content_region.height - 1
        await pilot.press("exclamation_mark")
        assert panel.cursor_index == 61
        await pilot.press("u")
        assert panel.cursor_index == 37


async def test_the_cursor_stays_on_its_pod_across_changes_above_and_a_relist() -> None:
    rows = many(300)
    app = PanelApp(rows)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.panel
        for _ in range(3):
            await pilot.press("pagedown")
        uid, index, top = panel.cursor_uid, panel.cursor_index, round(panel.scroll_y)
        by_uid = {r.uid: r for r in rows}
        # Two pods added and one removed above the cursor, one changed below it.
        new = [row(f"fleet-{NEW_HASH}-0000{c}", uid=f"new-{c}") for c in "ab"]
        below = replace(by_uid[panel.order.uid_at(index + 2)], status="Error",
                        health=PodHealth.FAILING)
        panel.apply(changed(by_uid, *new, below, gone=[rows[3].uid]))
        await pilot.pause()
        assert panel.cursor_uid == uid and panel.cursor_index == index + 1
        assert round(panel.scroll_y) - top == 1  # the pod kept its screen line
        relisted = [*(replace(r) for r in panel.order.rows.values())]
        panel.apply(listed(reversed(relisted)))
        await pilot.pause()
        assert panel.cursor_uid == uid and panel.cursor_index == index + 1
        assert panel.counts.total == 301


async def test_a_change_repaints_only_its_line() -> None:
    rows = many(300)
    app = PanelApp(rows)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.panel
        await pilot.pause()
        painted: list[int] = []
        render = panel.render_line
        panel.render_line = lambda y: (painted.append(y), render(y))[1]  # type: ignore
        by_uid = {r.uid: r for r in rows}
        target = by_uid[panel.order.uid_at(5)]
        off_screen = by_uid[panel.order.uid_at(250)]
        panel.apply(changed(by_uid, replace(target, status="Error", health=PodHealth.FAILING),
                            replace(off_screen, restarts=9)))
        await pilot.pause()
        assert painted == [1 + 5]  # the header is line 0
        assert "Error" in app.export_screenshot()


async def test_a_click_puts_the_cursor_on_the_pod() -> None:
    app = PanelApp(rollback_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        # Row 3 of the panel: border, header, then the pods in name order.
        await pilot.click(PodPanel, offset=(10, 1 + 1 + 2))
        assert app.panel.cursor_row.name.endswith("8zgmf")


async def test_enter_asks_for_the_pods_details() -> None:
    app = PanelApp(rollback_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "down", "enter")
        (message,) = app.seen.messages
        assert isinstance(message, PodPanel.DetailsRequested)
        assert message.uid == f"uid-checkout-{OLD_HASH}-8zgmf" and message.namespace == (
            "production") and message.control is app.panel


async def test_a_stale_feed_keeps_the_rows_dimmed_under_a_marker() -> None:
    class Status:
        state, retry_in, stale_since = "retrying", 3.0, NOW - 42

    app = PanelApp(rollback_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        app.panel.set_status(Status())
        await pilot.pause()
        assert app.panel.has_class("-stale") and len(app.panel.order) == 4
        assert "STALE 42s · retrying in 3s" in app.panel.border_title
        Status.state, Status.stale_since = "watching", None
        app.panel.set_status(Status())
        await pilot.pause()
        assert not app.panel.has_class("-stale") and "STALE" not in app.panel.border_title


HOSTILE = ["\x1b[2Jchk", "\x1b]52;c;ZXZpbA==\x07x", "[bold red]x[/]", "a\rb", "nul\x00",
           "長" * 60, "🔥" * 40, "y" * 300]


async def test_hostile_strings_are_shown_literally_and_keep_the_layout() -> None:
    rows = [row(f"pod-{i}-{text}", text, PodHealth.FAILING, node=text, version=text,
                uid=f"h{i}") for i, text in enumerate(HOSTILE)]
    app = PanelApp(rows)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panel = app.panel
        width = panel.scrollable_content_region.width
        lines = [panel.render_line(y) for y in range(len(HOSTILE) + 1)]
        assert {strip.cell_length for strip in lines} == {width}
        text = "\n".join(strip.text for strip in lines)
        for control in ("\x1b", "\x07", "\r", "\x00"):
            assert control not in text
        assert "[bold red]x[/]" in text and "^[]52;c;ZXZpbA==" in text  # shown inert
        assert "nul^@" in text and "a^Mb" in text  # control characters shown, not obeyed
        assert "長長" in text and "🔥🔥" in text


# ---- snapshots -----------------------------------------------------------------------------

@pytest.mark.parametrize("theme", ("textual-dark", "textual-light"))
@pytest.mark.parametrize("size", ((120, 40), (80, 24)), ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_rollback_pods(snap_compare, size, theme) -> None:
    # bad-release mid-rollback: the cursor on the crash-looping 2.4.0 pod.
    assert snap_compare(PanelApp(rollback_rows(), theme=theme), terminal_size=size,
                        press=["down", "down"])


def test_snapshot_stale_and_filtered(snap_compare) -> None:
    class Status:
        state, retry_in, stale_since = "retrying", 3.0, NOW - 42

    def stale(pilot) -> None:
        pilot.app.panel.set_status(Status())

    assert snap_compare(PanelApp(many(60)), terminal_size=(80, 24),
                        press=["slash", "0", "0", "0", "3", "enter", "u"], run_before=stale)
