"""Regular expressions matched in linear time, for patterns that come from runbook files.

Python's `re` backtracks: `([a-z]+)*[0-9]` takes exponential time on a 40-letter string and
cannot be interrupted by a timeout. A parameter's `pattern` is untrusted input to the validator
(and, with the operator's values, to `Runbook.resolve_parameters`), so it is matched here
instead. Capping the length of the value is not enough (40 letters already hang), and refusing
"nested quantifiers" is not sound either (`a*a*a*a*a*a*b` is polynomial of any degree, and
overlapping alternatives under a star are exponential without any nesting).

So the pattern is parsed by Python's own regex parser (the syntax, and so every error message,
is exactly `re`'s), compiled into a Thompson NFA and run as a Pike VM, which advances a *set*
of states one character at a time: a match costs at most len(value) × len(program) steps,
whatever the pattern. Only the regular subset is accepted: backreferences, lookarounds and
conditionals are not regular, atomic groups and possessive quantifiers change what matches by
cutting backtracking, and case-insensitive matching follows Unicode case rules this engine does
not reproduce; these are refused with a clear reason. Counted repeats such as `a{1000}` expand,
so programs are capped at MAX_PROGRAM instructions, and one match at MAX_STEPS state visits.
Within the subset, `fullmatch` answers exactly as `re.fullmatch` does.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from functools import lru_cache

try:  # Python 3.11+
    from re import _constants as _c
    from re import _parser as _p
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

MAX_PROGRAM = 4000
MAX_STEPS = 2_000_000

_CHAR, _SPLIT, _JMP, _ASSERT, _MATCH = range(5)
_ASCII_SPACE = " \t\n\r\f\v"
_REFUSED = {
    _c.GROUPREF: "backreferences are not supported",
    _c.GROUPREF_EXISTS: "conditional groups (?(…)…) are not supported",
    _c.ASSERT: "lookahead and lookbehind (?=…) (?<=…) are not supported",
    _c.ASSERT_NOT: "negative lookahead and lookbehind (?!…) (?<!…) are not supported",
}
for _name, _reason in (("ATOMIC_GROUP", "atomic groups (?>…) are not supported"),
                       ("POSSESSIVE_REPEAT", "possessive quantifiers *+ ++ ?+ are not supported")):
    if hasattr(_c, _name):
        _REFUSED[getattr(_c, _name)] = _reason


class UnsupportedPattern(ValueError):
    """The pattern is valid for `re` but outside what can be matched in linear time."""


def _is_word(ch: str, ascii_only: bool) -> bool:
    if ascii_only:
        return ch.isascii() and (ch.isalnum() or ch == "_")
    return ch.isalnum() or ch == "_"


def _category(cat: object, ascii_only: bool) -> Callable[[str], bool]:
    if cat in (_c.CATEGORY_DIGIT, _c.CATEGORY_NOT_DIGIT):
        test = (lambda ch: "0" <= ch <= "9") if ascii_only else str.isdecimal
    elif cat in (_c.CATEGORY_SPACE, _c.CATEGORY_NOT_SPACE):
        test = (lambda ch: ch in _ASCII_SPACE) if ascii_only else str.isspace
    elif cat in (_c.CATEGORY_WORD, _c.CATEGORY_NOT_WORD):
        def test(ch: str) -> bool:
            return _is_word(ch, ascii_only)
    else:
        raise UnsupportedPattern(f"character class {cat} is not supported")
    if cat in (_c.CATEGORY_NOT_DIGIT, _c.CATEGORY_NOT_SPACE, _c.CATEGORY_NOT_WORD):
        return lambda ch: not test(ch)
    return test


def _char_set(items: list[tuple[object, object]], ascii_only: bool) -> Callable[[str], bool]:
    negate = False
    literals: set[str] = set()
    ranges: list[tuple[str, str]] = []
    tests: list[Callable[[str], bool]] = []
    for op, av in items:
        if op is _c.NEGATE:
            negate = True
        elif op is _c.LITERAL:
            literals.add(chr(av))  # type: ignore[arg-type]
        elif op is _c.RANGE:
            low, high = av  # type: ignore[misc]
            ranges.append((chr(low), chr(high)))
        elif op is _c.CATEGORY:
            tests.append(_category(av, ascii_only))
        else:
            raise UnsupportedPattern(f"{op} in a character set is not supported")

    def member(ch: str) -> bool:
        found = (ch in literals or any(low <= ch <= high for low, high in ranges)
                 or any(test(ch) for test in tests))
        return found != negate

    return member


class _Compiler:
    def __init__(self) -> None:
        self.program: list[tuple[int, object, object]] = []

    def add(self, op: int, a: object = None, b: object = None) -> int:
        if len(self.program) >= MAX_PROGRAM:
            raise UnsupportedPattern(f"pattern is too large (over {MAX_PROGRAM} steps once "
                                     "its repeats are expanded)")
        self.program.append((op, a, b))
        return len(self.program) - 1

    def patch(self, at: int, a: object = None, b: object = None) -> None:
        op, old_a, old_b = self.program[at]
        self.program[at] = (op, old_a if a is None else a, old_b if b is None else b)

    def sequence(self, items: object, flags: int) -> None:
        for op, av in items:  # type: ignore[attr-defined]
            self.item(op, av, flags)

    def item(self, op: object, av: object, flags: int) -> None:
        ascii_only = bool(flags & re.ASCII)
        if op in _REFUSED:
            raise UnsupportedPattern(_REFUSED[op])
        if op is _c.LITERAL:
            char = chr(av)  # type: ignore[arg-type]
            self.add(_CHAR, char.__eq__)
        elif op is _c.NOT_LITERAL:
            char = chr(av)  # type: ignore[arg-type]
            self.add(_CHAR, char.__ne__)
        elif op is _c.ANY:
            self.add(_CHAR, (lambda ch: True) if flags & re.DOTALL else "\n".__ne__)
        elif op is _c.IN:
            self.add(_CHAR, _char_set(av, ascii_only))  # type: ignore[arg-type]
        elif op is _c.AT:
            self.add(_ASSERT, av, flags)
        elif op is _c.BRANCH:
            self.branch(av[1], flags)  # type: ignore[index]
        elif op is _c.SUBPATTERN:
            _group, add_flags, del_flags, pattern = av  # type: ignore[misc]
            inner = (flags | add_flags) & ~del_flags
            _check_flags(inner)
            self.sequence(pattern, inner)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, pattern = av  # type: ignore[misc]
            self.repeat(low, high, pattern, flags)
        else:
            raise UnsupportedPattern(f"{op} is not supported")

    def branch(self, alternatives: list[object], flags: int) -> None:
        ends = []
        for alternative in alternatives[:-1]:
            split = self.add(_SPLIT, len(self.program) + 1)
            self.sequence(alternative, flags)
            ends.append(self.add(_JMP))
            self.patch(split, b=len(self.program))
        self.sequence(alternatives[-1], flags)
        for end in ends:
            self.patch(end, a=len(self.program))

    def repeat(self, low: int, high: int, pattern: object, flags: int) -> None:
        for _ in range(low):
            self.sequence(pattern, flags)
        if high == _c.MAXREPEAT:
            split = self.add(_SPLIT, len(self.program) + 1)
            self.sequence(pattern, flags)
            self.add(_JMP, split)
            self.patch(split, b=len(self.program))
            return
        splits = []
        for _ in range(high - low):
            splits.append(self.add(_SPLIT, len(self.program) + 1))
            self.sequence(pattern, flags)
        for split in splits:
            self.patch(split, b=len(self.program))


def _check_flags(flags: int) -> None:
    if flags & re.IGNORECASE:
        raise UnsupportedPattern("case-insensitive matching (?i) is not supported; "
                                 "list both cases, e.g. [A-Za-z]")
    if flags & re.LOCALE:
        raise UnsupportedPattern("locale-dependent matching (?L) is not supported")


def _assertion(kind: object, flags: int, text: str, pos: int) -> bool:
    end = len(text)
    multiline = bool(flags & re.MULTILINE)
    if kind is _c.AT_BEGINNING:
        return pos == 0 or (multiline and text[pos - 1] == "\n")
    if kind is _c.AT_BEGINNING_STRING:
        return pos == 0
    if kind is _c.AT_END:
        if multiline:
            return pos == end or text[pos] == "\n"
        return pos == end or (pos == end - 1 and text[pos] == "\n")
    if kind is _c.AT_END_STRING:
        return pos == end
    if kind in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
        if end == 0:
            return False
        ascii_only = bool(flags & re.ASCII)
        before = pos > 0 and _is_word(text[pos - 1], ascii_only)
        after = pos < end and _is_word(text[pos], ascii_only)
        return (before != after) == (kind is _c.AT_BOUNDARY)
    raise UnsupportedPattern(f"{kind} is not supported")  # pragma: no cover - checked early


class LinearRegex:
    """A compiled pattern whose `fullmatch` runs in time linear in the text."""

    def __init__(self, pattern: str) -> None:
        """Raise re.error for an invalid pattern, UnsupportedPattern outside the subset."""
        self.pattern = pattern
        try:
            with warnings.catch_warnings():  # e.g. FutureWarning "possible nested set": noise
                warnings.simplefilter("ignore")
                parsed = _p.parse(pattern)
        except RecursionError:
            raise UnsupportedPattern("pattern is nested too deeply") from None
        flags = parsed.state.flags
        _check_flags(flags)
        compiler = _Compiler()
        try:
            compiler.sequence(parsed, flags)
        except RecursionError:
            raise UnsupportedPattern("pattern is nested too deeply") from None
        compiler.add(_MATCH)
        self.program = compiler.program
        for op, kind, _flags in self.program:  # refuse unknown assertions now, not mid-match
            if op == _ASSERT and kind not in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING,
                                              _c.AT_END, _c.AT_END_STRING, _c.AT_BOUNDARY,
                                              _c.AT_NON_BOUNDARY):
                raise UnsupportedPattern(f"{kind} is not supported")

    def _closure(self, seeds: list[int], text: str, pos: int, budget: list[int]) -> list[int]:
        """The CHAR and MATCH instructions reachable from `seeds` without consuming text."""
        program = self.program
        seen: set[int] = set()
        found: list[int] = []
        stack = list(reversed(seeds))
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op, a, b = program[pc]
            if op == _JMP:
                stack.append(a)  # type: ignore[arg-type]
            elif op == _SPLIT:
                stack.append(b)  # type: ignore[arg-type]
                stack.append(a)  # type: ignore[arg-type]
            elif op == _ASSERT:
                if _assertion(a, b, text, pos):  # type: ignore[arg-type]
                    stack.append(pc + 1)
            else:
                found.append(pc)
        budget[0] -= len(seen)
        if budget[0] < 0:
            raise UnsupportedPattern("pattern is too costly to check against a value this long")
        return found

    def fullmatch(self, text: str) -> bool:
        """Whether the whole of `text` matches, exactly as `re.fullmatch` would decide."""
        program = self.program
        budget = [MAX_STEPS]
        current = self._closure([0], text, 0, budget)
        for pos, ch in enumerate(text):
            seeds = [pc + 1 for pc in current
                     if program[pc][0] == _CHAR and program[pc][1](ch)]  # type: ignore[operator]
            if not seeds:
                return False
            current = self._closure(seeds, text, pos + 1, budget)
        return any(program[pc][0] == _MATCH for pc in current)


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> LinearRegex:
    """A cached LinearRegex (raises re.error or UnsupportedPattern like the constructor)."""
    return LinearRegex(pattern)


def fullmatch(pattern: str, text: str) -> bool:
    """`re.fullmatch(pattern, text) is not None`, in linear time (see the module docstring)."""
    return compile_pattern(pattern).fullmatch(text)
