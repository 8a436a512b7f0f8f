"""Start-up cost of `rollback --help` and `rollback runbooks validate` (built-ins).

Prints JSON with the median wall time of each against a bare `python -c pass` in the same run
(the same interpreter), and the imports each path loads from the heavy set. Targets: no heavy
module imported on either path, and `rollback --help` — the installed console script, as a user
types it — at most HELP_RATIO_TARGET times `python -c pass`. Exit 1 on a miss.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 15
HELP_RATIO_TARGET = 3.0
HEAVY = ("textual", "kubernetes", "httpx", "rich")


def _seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False)
    return time.perf_counter() - start


def paired_medians(argv: list[str], baseline: list[str]) -> tuple[float, float]:
    """Median wall times of argv and of baseline, run alternately RUNS times each.

    Alternating makes both meet the same load on a shared machine.
    """
    samples: list[float] = []
    base: list[float] = []
    for _ in range(RUNS):
        base.append(_seconds(baseline))
        samples.append(_seconds(argv))
    return statistics.median(samples), statistics.median(base)


def heavy_imports(args: list[str]) -> list[str]:
    """Heavy modules loaded when the CLI runs with args."""
    probe = (
        "import sys, json, contextlib, io\nfrom tui.app.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    try:\n        main({args!r})\n    except SystemExit:\n        pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.splitlines()[-1])


def rollback_command() -> list[str]:
    """The `rollback` console script installed beside this Python, else `python -m tui`."""
    script = Path(sys.executable).with_name("rollback")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tui"]


def main() -> int:
    """Measure and report."""
    bare_argv = [sys.executable, "-c", "pass"]
    command = rollback_command()
    report: dict[str, object] = {"command": command}
    missed = []
    for name, args in (("help", ["--help"]), ("validate_builtins", ["runbooks", "validate"])):
        seconds, bare = paired_medians([*command, *args], bare_argv)
        heavy = heavy_imports(args)
        ratio = seconds / bare
        report[name] = {"median_s": round(seconds, 4), "python_bare_s": round(bare, 4),
                        "ratio_to_bare_python": round(ratio, 2), "heavy_imports": heavy}
        if heavy:
            missed.append(f"{name} imports {', '.join(heavy)}")
        if name == "help" and ratio > HELP_RATIO_TARGET:
            missed.append(f"rollback --help takes {ratio:.2f}x python -c pass "
                          f"(target {HELP_RATIO_TARGET}x)")
    report["help_ratio_target"] = HELP_RATIO_TARGET
    report["targets_missed"] = missed
    ok = not missed
    report["ok"] = ok
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
