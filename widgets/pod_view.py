"""The pod panel's model, without Textual: the rows in display order (sorted, filtered) kept
up to date change by change, and the counts its title shows.

Order is a sorted list of unique keys beside a list of uids, so a changed pod moves with two
bisections and two list shifts — never a re-sort — and the row on any display line is one
index away. A full re-list (or a new sort or filter) sorts once.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter

from rich.cells import cell_len

from tui.domain.pods import PodHealth, PodRow
from tui.domain.rollout import ReplicaSetInfo
from widgets.pod_columns import (
    HEALTH_RANK,
    HEALTH_SYMBOL,
    NAME_COMFORT,
    UNHEALTHY,
    Column,
    Piece,
    filter_words,
    matches,
    sort_key,
    version_text,
)
from widgets.text import inert

EMPTY: Mapping[str, PodRow] = {}
NAME = attrgetter("name")
MAX_STATUS_COUNTS = 4  # distinct problem statuses named in the title before "+N more"
Key = tuple[object, ...]


class PodOrder:
    """The visible pods (those matching the filter) in sort order."""

    def __init__(self, sort: Column = Column.NAME, reverse: bool = False) -> None:
        """An empty view sorted by `sort` (reversed when `reverse`)."""
        self.sort, self.reverse = sort, reverse
        self.words: tuple[str, ...] = ()
        self.rows: Mapping[str, PodRow] = EMPTY
        self.replicasets: Mapping[str, ReplicaSetInfo] = {}
        self._keys: list[Key] = []
        self._uids: list[str] = []
        self._key_of: dict[str, Key] = {}
        self.name_width = 0  # the widest name seen since the last full rebuild, in cells

    def __len__(self) -> int:
        """How many pods are visible."""
        return len(self._uids)

    def uid_at(self, index: int) -> str | None:
        """The uid on display line `index` (None past either end)."""
        if not 0 <= index < len(self._uids):
            return None
        return self._uids[len(self._uids) - 1 - index] if self.reverse else self._uids[index]

    def index_of(self, uid: str | None) -> int | None:
        """The display line of a visible pod (None when it is not shown)."""
        key = self._key_of.get(uid) if uid is not None else None
        if key is None:
            return None
        position = bisect_left(self._keys, key)
        return len(self._uids) - 1 - position if self.reverse else position

    def uids(self) -> list[str]:
        """Every visible uid in display order."""
        return self._uids[::-1] if self.reverse else list(self._uids)

    # ---- keys ------------------------------------------------------------------------------
    def _replicaset(self, row: PodRow) -> ReplicaSetInfo | None:
        return self.replicasets.get(row.pod_template_hash) if self.replicasets else None

    def _key(self, row: PodRow) -> Key | None:
        """The sort key of a row, or None when the filter hides it."""
        replicaset = self._replicaset(row)
        if self.words and not matches(row, self.words, version_text(row, replicaset)):
            return None
        return sort_key(row, self.sort, replicaset)

    # ---- changes ---------------------------------------------------------------------------
    def rebuild(self, rows: Mapping[str, PodRow] | None = None) -> None:
        """Order every row from scratch (a re-list, a new sort, filter or revisions)."""
        if rows is not None:
            self.rows = rows
        items = self.rows.items()
        if self.words:
            keyed = [(key, uid) for uid, row in items if (key := self._key(row)) is not None]
        elif self.sort is Column.NAME:
            # The common case, a tight loop: a re-list of 5,000 pods must not stall the UI.
            keyed = [((row.name, uid), uid) for uid, row in items]
        else:
            column, replicaset = self.sort, self._replicaset
            keyed = [(sort_key(row, column, replicaset(row)), uid) for uid, row in items]
        # Lists arrive in name order, so a name sort meets long sorted runs (near linear).
        keyed.sort()
        self._keys = [key for key, _ in keyed]
        self._uids = [uid for _, uid in keyed]
        self._key_of = dict(zip(self._uids, self._keys, strict=True))
        shown = self.rows if not self.words else {uid: self.rows[uid] for uid in self._uids}
        self.name_width = max(map(len, map(NAME, shown.values())), default=0)

    def update(self, rows: Mapping[str, PodRow], touched: Iterable[str]) -> None:
        """Take the new rows; only the `touched` uids (added, changed, removed) can move."""
        self.rows = rows
        for uid in touched:
            old = self._key_of.get(uid)
            row = rows.get(uid)
            new = self._key(row) if row is not None else None
            if old == new:
                continue
            if old is not None:
                position = bisect_left(self._keys, old)
                del self._keys[position], self._uids[position]
                del self._key_of[uid]
            if new is not None and row is not None:
                position = bisect_left(self._keys, new)
                self._keys.insert(position, new)
                self._uids.insert(position, uid)
                self._key_of[uid] = new
                self.name_width = max(self.name_width, len(row.name))

    def set_sort(self, column: Column, reverse: bool) -> None:
        """Sort by another column or direction."""
        if (column, reverse) == (self.sort, self.reverse):
            return
        resort = column is not self.sort
        self.sort, self.reverse = column, reverse
        if resort:
            self.rebuild()

    def set_filter(self, text: str) -> None:
        """Show only the pods matching every word of `text`."""
        words = filter_words(text)
        if words != self.words:
            self.words = words
            self.rebuild()

    def set_replicasets(self, replicasets: Mapping[str, ReplicaSetInfo]) -> None:
        """New ReplicaSets (revisions, versions) by pod-template-hash."""
        self.replicasets = replicasets
        if self.sort in (Column.REVISION, Column.VERSION) or self.words:
            self.rebuild()

    def next_unhealthy(self, after: int) -> int | None:
        """The display line of the first failing pod after line `after` (wrapping), else of
        the first pod otherwise unhealthy; None when every pod is fine."""
        count = len(self._uids)
        best: int | None = None
        for step in range(1, count + 1):
            index = (after + step) % count
            health = self.rows[self.uid_at(index) or ""].health
            if health is PodHealth.FAILING:
                return index
            if best is None and health in UNHEALTHY:
                best = index
        return best


@dataclass
class PodCounts:
    """What the title counts: ready of total, pods per pod-template-hash, problem statuses."""

    total: int = 0
    ready: int = 0
    by_hash: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    problems: Counter[tuple[PodHealth, str]] = field(default_factory=Counter)
    version_of_hash: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[PodRow]) -> PodCounts:
        """Counts of every row (C-speed counting: this runs on every re-list)."""
        rows = list(rows)
        not_ready = [r for r in rows if r.health is not PodHealth.READY]
        return cls(total=len(rows), ready=len(rows) - len(not_ready),
                   by_hash=Counter(r.pod_template_hash for r in rows),
                   by_status=Counter(r.status for r in rows),
                   problems=Counter((r.health, r.status) for r in not_ready),
                   version_of_hash={r.pod_template_hash: r.version for r in rows if r.version})

    def add(self, row: PodRow, sign: int = 1) -> None:
        """Count a row in (`sign` -1: out)."""
        self.total += sign
        self.by_hash[row.pod_template_hash] += sign
        self.by_status[row.status] += sign
        if row.health is PodHealth.READY:
            self.ready += sign
        else:
            self.problems[(row.health, row.status)] += sign
        if sign > 0 and row.version:
            self.version_of_hash.setdefault(row.pod_template_hash, row.version)

    def remove(self, row: PodRow) -> None:
        """Count a row out."""
        self.add(row, -1)


def _status_label(health: PodHealth, status: str) -> str:
    return f"{inert(status, 40)}, not ready" if health is PodHealth.RUNNING_NOT_READY else inert(
        status, 40)


def title_pieces(counts: PodCounts, replicasets: Mapping[str, ReplicaSetInfo]) -> list[Piece]:
    """`✓ 3/3 ready · rev 4 (2.3.1) 3 · rev 3 (2.4.0) 0`.

    Revisions: every one with pods, plus the two newest even at 0 — the revision being rolled
    to and the one being rolled away from, so a drained bad release reads as 0, not absent.
    """
    all_ready = counts.total > 0 and counts.ready == counts.total
    pieces: list[Piece] = [
        (f"{'✓' if all_ready else '◐'} {counts.ready}/{counts.total} ready",
         "ready" if all_ready else "warn")]
    known = sorted((rs for rs in replicasets.values() if rs.pod_template_hash),
                   key=lambda rs: -(rs.revision or 0))
    shown = {rs.pod_template_hash for rs in known[:2]}
    shown |= {h for h, n in counts.by_hash.items() if n > 0}
    for rs in known:
        if rs.pod_template_hash in shown:
            version = inert(rs.version or counts.version_of_hash.get(rs.pod_template_hash, ""), 20)
            pieces.append((f" · rev {rs.revision if rs.revision is not None else '?'}"
                           + (f" ({version})" if version else "")
                           + f" {counts.by_hash.get(rs.pod_template_hash, 0)}", ""))
    matched = {rs.pod_template_hash for rs in known}
    for pod_hash, number in sorted(counts.by_hash.items()):
        if number > 0 and pod_hash not in matched:
            version = inert(counts.version_of_hash.get(pod_hash, ""), 20)
            pieces.append((f" · rev ? ({version or inert(pod_hash, 12) or 'no hash'}) {number}",
                           ""))
    return pieces


def problem_pieces(counts: PodCounts) -> list[Piece]:
    """`✗ 1 CrashLoopBackOff · ◌ 1 ContainerCreating`: pods not ready by status, worst first."""
    problems = sorted(((h, s, n) for (h, s), n in counts.problems.items() if n > 0),
                      key=lambda item: (HEALTH_RANK.get(item[0], 3), -item[2], item[1]))
    pieces: list[Piece] = []
    for health, status, number in problems[:MAX_STATUS_COUNTS]:
        if pieces:
            pieces.append((" · ", ""))
        pieces.append((f"{HEALTH_SYMBOL[health]} {number} {_status_label(health, status)}",
                       str(health)))
    if len(problems) > MAX_STATUS_COUNTS:
        rest = sum(n for _, _, n in problems[MAX_STATUS_COUNTS:])
        pieces.append((f" · +{rest} more not ready", "warn"))
    return pieces


def name_cells(order: PodOrder) -> int:
    """The NAME width to ask for: the widest name seen (pod names are DNS labels, so ASCII:
    characters are cells), or a typical generated name's width before any pod arrived."""
    return order.name_width or NAME_COMFORT


def cells(pieces: Iterable[Piece]) -> int:
    """How many cells some pieces take."""
    return sum(cell_len(text) for text, _ in pieces)
