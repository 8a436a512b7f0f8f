"""Every flag and argument of every subcommand, fed hostile values: no traceback, exit 0, 1 or
2 only, and no incident or drill folder created by a command that then refuses."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from tui.app.cli import build_parser, main
from tui.app.paths import resolve_paths

HOSTILE = ["nan", "inf", "-inf", "-1", "0", "1e308", "1e-300", "99999999999999999999999",
           "", " ", "x" * 200_000, "\x01\x1b[2J\x07\x9b31m", "ünïcødé ☃ 🧨 \u202e\u200f",
           "../../../etc/passwd", "/etc/passwd", "/", "%s%n{0}{{ x }}", "-", "--"]
# Stand-ins for positionals that are not being fuzzed: names that exist nowhere, so that the
# command refuses after its arguments were parsed and checked.
FILLERS = {"runbook": "revert-deployment", "incident": "INC-19700101-000000-nope",
           "scenario": "no-such-scenario", "number": "1", "files": "/nonexistent.yaml"}
SECONDS_PER_CALL = 30


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
           ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every runnable subcommand: its words and its parser."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, sub in subs[0].choices.items():
        yield from leaves(sub, (*path, name))


COMMANDS = dict(leaves(build_parser()))


def _valued(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.nargs != 0
            and not isinstance(a, argparse._HelpAction | argparse._VersionAction)]


def _base(words: tuple[str, ...], parser: argparse.ArgumentParser, fuzzed: argparse.Action
          ) -> tuple[list[str], list[str]]:
    """(words and positionals before the fuzzed one, positionals after it)."""
    before, after = list(words), []
    positionals = [a for a in parser._actions if not a.option_strings]
    seen = False
    for action in positionals:
        if action is fuzzed:
            seen = True
            continue
        (after if seen else before).append(FILLERS.get(action.dest, "x"))
    return before, after


def _timeout(_signum: int, _frame: FrameType | None) -> None:
    raise TimeoutError(f"a command ran longer than {SECONDS_PER_CALL}s")


def _state(home: Path) -> list[str]:
    """What a refused command must not have created: incident and drill folders."""
    incidents = resolve_paths().incidents_dir
    found = list(incidents.iterdir()) if incidents.exists() else []
    drills = home / "data" / "drills"
    found += list(drills.iterdir()) if drills.exists() else []
    return sorted(str(p) for p in found)


@pytest.mark.parametrize("words", sorted(COMMANDS), ids=" ".join)
def test_hostile_values_for_every_flag(words, capsys, monkeypatch, rollback_home,
                                       tmp_path) -> None:
    # No cluster anywhere: a command that got past its checks could not reach one by accident.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    parser = COMMANDS[words]
    previous = signal.signal(signal.SIGALRM, _timeout)
    failures: list[str] = []
    calls = 0
    try:
        for action in _valued(parser):
            for value in HOSTILE:
                before, after = _base(words, parser, action)
                if not action.option_strings and value == "--":
                    continue  # not a value: argparse's end of options (`drill --` is `drill`)
                if action.option_strings:
                    argv = [*before, *after, f"{action.option_strings[-1]}={value}"]
                else:
                    argv = [*before, value, *after]
                signal.alarm(SECONDS_PER_CALL)
                try:
                    code = main(argv)
                except SystemExit as stop:
                    code = stop.code
                except BaseException as exc:  # noqa: BLE001 — any escape is the finding
                    code = f"raised {exc!r:.200}"
                finally:
                    signal.alarm(0)
                calls += 1
                out, err = capsys.readouterr()
                shown = [w if len(w) < 60 else w[:60] + "…" for w in argv]
                if code not in (0, 1, 2):
                    failures.append(f"{shown}: exit {code}")
                if "Traceback" in out + err or "internal error" in out + err:
                    failures.append(f"{shown}: {(out + err)[-300:]!r}")
                if created := _state(rollback_home):
                    failures.append(f"{shown}: created {created} (exit {code})")
                    break
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert not failures, "\n".join(failures[:20])
    positionals = sum(1 for a in _valued(parser) if not a.option_strings)
    assert calls == len(_valued(parser)) * len(HOSTILE) - positionals
