"""A drill's scorecard as lines (pure render functions, Scorecard → styled lines at a width):
the headline beside the big score, the measures table, the anti-patterns with their evidence,
the timeline with the moments that cost time, the ground truth and what to practise next.

Every string from the scorecard is data (it quotes the journal and the cluster): it goes through
`inert` and is wrapped by words, never parsed as markup and never cut at the right edge.
Times are drill time since the drill started (`+7:12`), the time base of the scorer's durations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len

from tui.domain.drill_scorecard import Evidence, Measure, Scorecard
from tui.domain.drill_timing import ScenarioClock
from tui.domain.timeline import EventSeverity, TimelineEntry
from widgets.text import Line, fit, inert, line_width
from widgets.timefmt import clock_text, epoch
from widgets.wrapping import hanging, within_width, wrap

ROLES = ("ok", "warning", "error", "muted", "heading", "strong", "lost")
VERDICT_MARK = {"met": "✓", "missed": "✗", "partial": "◐", "n/a": "–"}
VERDICT_ROLE = {"met": "ok", "missed": "error", "partial": "warning", "n/a": "muted"}
GRADE_ROLE = {"excellent": "ok", "good": "ok", "needs practice": "warning", "poor": "error"}
SEVERITY_ROLE = {EventSeverity.OK: "ok", EventSeverity.WARNING: "warning",
                 EventSeverity.ERROR: "error", EventSeverity.INFO: ""}
LOST_MARK = "⧗"  # a stretch that cost time
TWIST_MARK = "↯"
NO_TRUTH = "this scenario has no ground truth: the decision, strategy and target are not scored"
TEXT_LIMIT = 600  # characters of one quoted string (evidence, why) before it is cut


# ---- small pieces -------------------------------------------------------------------------------
def drill_offset(card: Scorecard, ts: str | None) -> str:
    """`+7:12`: drill time from the drill's start to `ts`; '' if unknown."""
    return offset_at(card, epoch(ts))


def offset_at(card: Scorecard, moment: float | None) -> str:
    """`+7:12` for an epoch second (see `drill_offset`), on the scorer's clock: the drill's
    speed from its start, wall time before it."""
    start = epoch(card.started_at)
    if start is None or moment is None:
        return ""
    seconds = _clock(card).between(start, moment) or 0.0
    return ("+" if seconds >= 0 else "-") + clock_text(abs(seconds))


def _clock(card: Scorecard) -> ScenarioClock:
    """The drill's clock: its speed from its start (the scorer's time base)."""
    return ScenarioClock(card.speed or 1.0, epoch(card.started_at))


def short_target(target: str) -> str:
    """`≤ 15m` out of `≤ 15m (seed: decide within 15 minutes)`: the figure without its source."""
    return target.split(" (", 1)[0].strip()


def heading(title: str, note: str, width: int) -> list[Line]:
    """`Measures  85 of 100 points` (the note wraps under the title when narrow)."""
    return hanging([(title, "heading"), ("  ", "")], note, "muted", width) if note else [
        [(title, "heading")]]


def _flow(parts: Sequence[Line], width: int, gap: str = " · ") -> list[Line]:
    """Phrases side by side with `gap` between, a new line where the next would not fit (a
    phrase is never split unless it is wider than a line on its own)."""
    lines: list[Line] = [[]]
    for part in parts:
        current = lines[-1]
        needed = line_width(part) + (cell_len(gap) if current else 0)
        if current and line_width(current) + needed > width:
            lines.append(current := [])
        if current:
            current.append((gap, "muted"))
        current.extend(part)
    return [line for line in lines if line]


# ---- the headline beside the score --------------------------------------------------------------
def title_line(card: Scorecard) -> Line:
    """`Drill debrief · bad-release — checkout 2.4.0 crash-loops · alice · ×20`."""
    line: Line = [("Drill debrief · ", "strong"), (inert(card.scenario_id, 60), "strong")]
    if card.scenario_description:
        line += [(" — ", ""), (inert(card.scenario_description, 160), "")]
    return line


def _timing(measure: Measure | None, label: str) -> Line:
    if measure is None:
        return [(f"{label} ", "muted"), ("not scored", "muted")]
    if measure.number is None:  # not a duration: "not restored by the runbook"
        label = label.removesuffix(" in") + ":"
    return [(f"{label} ", "muted"), (inert(measure.value, 40), "strong"), (" ", ""),
            (VERDICT_MARK[measure.verdict], VERDICT_ROLE[measure.verdict]),
            (f" target {inert(short_target(measure.target), 40)}", "muted")]


@within_width
def headline_lines(card: Scorecard, width: int) -> list[Line]:
    """Beside the big score: grade, decision against the ground truth, the two times."""
    role = GRADE_ROLE.get(card.grade, "")
    first: list[Line] = [[(f"of {card.max_score}", "muted"), ("  ", ""),
                          (inert(card.grade, 20).upper(), role)]]
    if not card.finished:
        first.append([("PROVISIONAL: the drill is still open", "warning")])
    first.append([("by ", "muted"), (inert(card.operator, 40), "")])
    speed = f"×{card.speed:g} speed, times in drill time" if card.speed != 1 else ""
    if speed:
        first.append([(speed, "muted")])
    lines = _flow(first, width, "  ")
    decision = card.measure("decision")
    truth = inert(card.truth.get("decision") or "none", 30) if card.truth else "none"
    decided: Line = [("Decision ", "muted")]
    if decision is None:
        decided.append(("not scored", "muted"))
    else:
        decided += [(inert(decision.value, 30), "strong"), (" ", ""),
                    (VERDICT_MARK[decision.verdict], VERDICT_ROLE[decision.verdict])]
    decided.append((f" ground truth {truth}", "muted"))
    lines += _flow([decided], width)
    lines += _flow([_timing(card.measure("time-to-decision"), "Decided in"),
                    _timing(card.measure("time-to-restore"), "Restored in")], width)
    lines.append(anti_pattern_summary(card, width))
    return lines


def anti_pattern_summary(card: Scorecard, width: int) -> Line:
    """`Anti-patterns ✗ Hesitate Too Long · Improvise · +3 more (a)` on one line."""
    line: Line = [("Anti-patterns ", "muted")]
    if not card.anti_patterns:
        return [*line, ("✓ none", "ok")]
    line.append(("✗ ", "error"))
    titles = [inert(a.title, 40) for a in card.anti_patterns]
    for shown, title in enumerate(titles):
        left = len(titles) - shown - 1
        more = f" · +{left} more (a)" if left else ""
        if line_width(line) + cell_len(title) + cell_len(more) + 3 > width:
            rest = f" · +{len(titles) - shown} more (a)" if shown else \
                f"{len(titles)} found (a)"
            return [*line, (rest, "muted")]
        line += [(" · ", "muted")] if shown else []
        line.append((title, "error"))
    return line


# ---- measures -----------------------------------------------------------------------------------
def _cell(text: str, width: int) -> list[str]:
    return wrap(text, max(width, 1))


@within_width
def measure_lines(card: Scorecard, width: int) -> list[Line]:
    """The measures as a table: mark, measure, value, target, points; under a missed or partial
    measure, the evidence that says why."""
    got, most = sum(m.points for m in card.measures), sum(m.max_points for m in card.measures)
    lines = heading("Measures", f"{got} of {most} points", width)
    if not card.measures:
        return [*lines, [("◌ nothing was measured", "muted")]]
    points = max(len(f"{m.points}/{m.max_points}") for m in card.measures)
    title_w = min(max(cell_len(inert(m.title)) for m in card.measures), 24 if width >= 100
                  else 20)
    value_w = min(max(cell_len(inert(m.value)) for m in card.measures), 18 if width >= 70
                  else 12)
    # Wide terminals: the points stay near their target instead of at the far edge.
    target_w = min(width - (2 + title_w + 1 + value_w + 1 + 1 + points), 52)
    if target_w < 12:  # very narrow: the target goes under the value
        title_w = max(title_w - (12 - target_w), 8)
        target_w = width - (2 + title_w + 1 + value_w + 1 + 1 + points)
    lines.append([("  ", ""), (fit("Measure", title_w), "muted"), (" ", ""),
                  (fit("Value", value_w), "muted"), (" ", ""),
                  (fit("Target", max(target_w, 1)), "muted"), (" ", ""),
                  (f"{'Pts':>{points}}", "muted")])
    for measure in card.measures:
        lines += _measure_row(card, measure, (title_w, value_w, max(target_w, 1), points), width)
    return lines


def _measure_row(card: Scorecard, measure: Measure, widths: tuple[int, int, int, int],
                 width: int) -> list[Line]:
    title_w, value_w, target_w, points_w = widths
    role = VERDICT_ROLE[measure.verdict]
    cells = (_cell(inert(measure.title, 80), title_w), _cell(inert(measure.value, 120), value_w),
             _cell(inert(measure.target, 200), target_w))
    score = f"{measure.points}/{measure.max_points}"
    rows: list[Line] = []
    for n in range(max(len(c) for c in cells)):
        title, value, target = (c[n] if n < len(c) else "" for c in cells)
        rows.append([(VERDICT_MARK[measure.verdict] if n == 0 else " ", role), (" ", ""),
                     (fit(title, title_w), "strong" if measure.verdict == "missed" else ""),
                     (" ", ""), (fit(value, value_w), role if measure.verdict != "met" else ""),
                     (" ", ""), (fit(target, target_w), "muted"), (" ", ""),
                     (f"{score:>{points_w}}" if n == 0 else " " * points_w, role)])
    if measure.verdict in ("missed", "partial"):
        for item in measure.evidence:
            rows += evidence_lines(card, item, width, indent=4)
    return rows


# ---- anti-patterns ------------------------------------------------------------------------------
def evidence_lines(card: Scorecard, item: Evidence, width: int, indent: int = 4) -> list[Line]:
    """`    +7:12  cluster  PATCH deployments/checkout by kubectl/1.31 (not the runbook)`."""
    when = drill_offset(card, item.at) or "—"
    head: Line = [(" " * indent, ""), ("↳ ", "muted"), (f"{when:>8}", "muted"), ("  ", ""),
                  (f"{inert(item.source, 8):<8}", "muted"), ("  ", "")]
    if width - line_width(head) < 24:  # narrow: the source goes before the text
        head = [(" " * indent, ""), ("↳ ", "muted"), (f"{when} {inert(item.source, 8)} ", "muted")]
    return hanging(head, inert(item.text, TEXT_LIMIT), "", width)


@within_width
def anti_pattern_lines(card: Scorecard, width: int) -> list[Line]:
    """Each anti-pattern found: the seed's name and gloss, the penalty, the evidence."""
    found = card.anti_patterns
    penalty = sum(a.penalty for a in found)
    lines = heading("Anti-patterns", f"{len(found)} found, −{penalty} points" if found else
                    "none found", width)
    if not found:
        return [*lines, [("✓ ", "ok"), ("none of the seed's anti-patterns showed in this drill",
                                        "")]]
    for pattern in found:
        head: Line = [("✗ ", "error"), (inert(pattern.title, 60), "error"),
                      (f"  −{pattern.penalty}", "error"), ("  ", "")]
        lines += hanging(head, inert(pattern.seed, 200), "muted", width, indent=2)
        for item in pattern.evidence:
            lines += evidence_lines(card, item, width)
        if not pattern.evidence:
            lines.append([("    ↳ ", "muted"), ("no evidence recorded", "muted")])
    return lines


# ---- timeline -----------------------------------------------------------------------------------
def _moment_span(card: Scorecard) -> list[tuple[float, float]]:
    """Each moment as a wall-clock (start, end) for marking journal lines inside it."""
    spans, clock = [], _clock(card)
    for moment in card.moments:
        start = epoch(moment.at)
        if start is not None:
            spans.append((start, clock.wall_after(start, moment.seconds)))
    return spans


def _moment_items(card: Scorecard) -> list[tuple[float, list[Line]]]:
    return [(epoch(m.at) or 0.0, [[(f"{LOST_MARK} ", "lost"),
                                   (f"{clock_text(m.seconds)} lost", "lost"), ("  ", ""),
                                   (inert(m.what, TEXT_LIMIT), "lost")]])
            for m in card.moments]


@within_width
def timeline_lines(card: Scorecard, width: int, entries: Sequence[TimelineEntry] = (),
                   *, whole: bool = False) -> list[Line]:
    """The drill's course: its start, the twists, the moments that cost time (highlighted) and
    its end; `whole` interleaves every journal line, ▌ marking those inside a lost stretch."""
    note = ("every journal line, ▌ inside a stretch that cost time · t: moments only" if whole
            else "the moments that cost time · t: every journal line")
    lines = heading("Timeline", note, width)
    items: list[tuple[float, list[Line]]] = []
    start = epoch(card.started_at) or 0.0
    items.append((start, [[("▶ ", ""), ("drill started", "")]]))
    for twist in card.twists:
        when = epoch(str(twist.get("journaled_at") or twist.get("fired_at") or "")) or start
        source = inert(twist.get("source") or "schedule", 20)
        text = inert(twist.get("detail") or twist.get("event") or "a twist", TEXT_LIMIT)
        items.append((when, [[(f"{TWIST_MARK} ", "warning"), (f"twist ({source}): ", "warning"),
                              (text, "")]]))
    items += _moment_items(card)
    if whole:
        spans = _moment_span(card)
        for entry in entries:
            when = epoch(entry.ts)
            inside = when is not None and any(a <= when <= b for a, b in spans)
            items.append((when or start, [[("▌" if inside else " ", "lost"),
                                           (f"{entry.symbol} ", SEVERITY_ROLE[entry.severity]),
                                           (inert(entry.text), "")]]))
    if card.ended_at:
        items.append((epoch(card.ended_at) or start, [[("■ ", ""), ("drill ended", "")]]))
    items.sort(key=lambda item: item[0])  # stable: a moment stays before what happened in it
    for when, (body,) in items:
        stamp = offset_at(card, when)
        head = [(f"{stamp:>8} ", "muted"), *body[:-1]]
        text, role = body[-1]
        lines += hanging(head, text, role, width)
    if not card.moments:
        lines.append([("         ✓ ", "ok"), ("no stretch of this drill was flagged as lost time",
                                               "muted")])
    if whole and not entries:
        lines.append([("         ◌ ", "muted"), ("the journal's lines are not available here",
                                                 "muted")])
    return lines


# ---- ground truth and practice ------------------------------------------------------------------
def _deployments(items: Any, with_revision: bool) -> str:
    if not isinstance(items, list):
        return ""
    shown = []
    for item in items:
        if not isinstance(item, dict):
            continue
        where = f"{item.get('namespace', '?')}/{item.get('deployment', '?')}"
        if with_revision and item.get("revision") is not None:
            version = f" ({item['version']})" if item.get("version") else ""
            where += f" → revision {item['revision']}{version}"
        shown.append(where)
    return " · ".join(shown)


@within_width
def truth_lines(card: Scorecard, width: int) -> list[Line]:
    """What the scenario's ground truth says: the right call, where things must end, why."""
    truth = card.truth or {}
    lines = heading("Ground truth", "what the scenario says was right", width)
    if not truth:
        return [*lines, [("◌ ", "muted"), (NO_TRUTH, "muted")]]
    rows = [("Decision", truth.get("decision")), ("Strategy", truth.get("strategy")),
            ("Severity", truth.get("severity")),
            ("Target", _deployments(truth.get("targets"), True)),
            ("Untouched", _deployments(truth.get("untouched"), False)),
            ("Restore", f"within {truth['restore_within']}" if truth.get("restore_within")
             else ""),
            ("Why", truth.get("why"))]
    for label, value in rows:
        if value:
            lines += hanging([(f"{label:<10}", "muted"), (" ", "")], inert(value, TEXT_LIMIT),
                             "strong" if label == "Decision" else "", width)
    return lines


@within_width
def practise_lines(card: Scorecard, width: int) -> list[Line]:
    """What to practise next, one bullet each."""
    lines = heading("Practise next", "", width)
    if not card.practise:
        return [*lines, [("✓ ", "ok"), ("nothing flagged: try a scenario with twists next",
                                        "muted")]]
    for item in card.practise:
        lines += hanging([("• ", "strong")], inert(item, TEXT_LIMIT), "", width)
    return lines


@within_width
def warning_lines(card: Scorecard, width: int) -> list[Line]:
    """What the scorer could not see (a missing change record, …), each with `!`."""
    lines: list[Line] = []
    for text in card.warnings:
        lines += hanging([("! ", "warning")], inert(text, TEXT_LIMIT), "warning", width)
    return lines


@within_width
def unavailable_lines(reason: str, width: int) -> list[Line]:
    """Why there is no scorecard, and what to do instead."""
    return [*hanging([("! ", "warning")], inert(reason, TEXT_LIMIT), "warning", width),
            []]
