"""Benchmark masking secrets in step output: does hostile output cost more than ordinary output?

Run: `python benchmarks/bench_redaction.py` — prints JSON, exits 1 when a target is missed.
The journal masks a step's whole output (up to the shell step's cap) before cutting it. The
baseline is ordinary output of the same size — kubectl-like lines that mention tokens and URLs —
masked by the same Redactor (three registered secrets, in every encoded form). The hostile inputs
are long dotted runs after a secret-like word and after a URL scheme, which made the key=value
and URL patterns quadratic before their bounds. Each ratio compares medians of alternating
rounds, so both share the machine's noise.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tui.domain.redaction import Redactor

SIZE = 64 * 1024  # characters of output
ROUNDS = 7
RATIO_TARGET = 5.0  # hostile output may cost at most 5× ordinary output of the same size
SECRETS = ("Sup3r-S3cret-DB-pa55", "ghp_7Qx9ZbY2WvU4TsR6PqO8NmL0KjI", "tok_live_1234567890")


def ordinary() -> str:
    """kubectl-like output with the words that wake the slower patterns."""
    line = ("checkout-7dc4ccd75d-8zgmf 1/1 Running 0 61m token=<none> "
            "url=https://api.example.com/v1/health password: (from secret)\n")
    return (line * (SIZE // len(line) + 1))[:SIZE]


HOSTILE = {
    "key-value": "token " + "a." * (SIZE // 2),
    "url-scheme": "x:// " + "a-" * (SIZE // 2),
    "dotted-key": "a." * (SIZE // 2) + " password=x",
}


def timed(redact: Callable[[str], str], text: str) -> float:
    start = time.perf_counter()
    redact(text)
    return time.perf_counter() - start


def main() -> int:
    redactor = Redactor(SECRETS)
    base_text = ordinary()
    report: dict[str, object] = {"size_chars": SIZE, "ratio_target": RATIO_TARGET}
    ok = True
    for name, text in HOSTILE.items():
        base, hostile = [], []
        for _ in range(ROUNDS):
            base.append(timed(redactor.text, base_text))
            hostile.append(timed(redactor.text, text))
        ratio = statistics.median(hostile) / statistics.median(base)
        report[name] = {"ordinary_ms": round(statistics.median(base) * 1000, 2),
                        "hostile_ms": round(statistics.median(hostile) * 1000, 2),
                        "ratio": round(ratio, 2)}
        ok = ok and ratio <= RATIO_TARGET
    report["ok"] = ok
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
