"""Start-up cost of `rollback --help` and `rollback runbooks validate` (built-ins).

Prints JSON with the median wall time of each against a bare `python -c pass` in the same run,
and the imports each path loads from the heavy set. The target (issue: "no import of textual or
kubernetes on those paths") is checked: exit 1 if a heavy module is imported.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

RUNS = 15
HEAVY = ("textual", "kubernetes", "httpx", "rich")


def median_seconds(argv: list[str]) -> float:
    """Median wall time of running argv RUNS times."""
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


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


def main() -> int:
    """Measure and report."""
    bare = median_seconds([sys.executable, "-c", "pass"])
    report: dict[str, object] = {"python_bare_s": round(bare, 4)}
    ok = True
    for name, args in (("help", ["--help"]), ("validate_builtins", ["runbooks", "validate"])):
        seconds = median_seconds([sys.executable, "-m", "tui", *args])
        heavy = heavy_imports(args)
        ratio = seconds / bare
        report[name] = {"median_s": round(seconds, 4), "ratio_to_bare_python": round(ratio, 2),
                        "heavy_imports": heavy}
        ok = ok and not heavy
    report["ok"] = ok
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
