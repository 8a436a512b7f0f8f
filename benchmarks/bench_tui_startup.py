"""Time to the first screen: bare `rollback` (the start screen: open incidents, runbooks,
scenarios) against a minimal Textual app, measured the same way in the same run.

Each sample is a fresh interpreter that imports the app, builds it and runs it headless at
120×40; the figure is the wall time from spawning the process to the end of its first frame
(the child prints the clock when the first refresh is done; median of RUNS, interleaved).
Target: ≤ 1.3× the minimal app.
Also reported: whether the first screen loaded the Kubernetes client or httpx (it must not:
they are imported after the first paint, when a session needs them).

Prints JSON; exits 1 on a miss.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 15
TARGET = 1.3

MINIMAL = """
import sys, time
from textual.app import App
from textual.widgets import Footer, Static

class Minimal(App):
    def compose(self):
        yield Static("hello")
        yield Footer()

    def on_mount(self):
        self.call_after_refresh(self.first_frame)

    def first_frame(self):
        print("FRAME", time.time())
        self.exit()

Minimal().run(headless=True, size=(120, 40))
"""

ROLLBACK = """
import sys, time
from tui.app.commands_tui import _opener
from tui.app.application import AppContext, RollbackApp

class FirstFrame(RollbackApp):
    def on_mount(self):  # Textual also runs RollbackApp.on_mount (handlers run per class)
        self.call_after_refresh(self.first_frame)

    def first_frame(self):
        print("FRAME", time.time())
        self.exit()

# What bare `rollback` does (commands_tui.start → run_tui), with the app stopping after its
# first frame.
opener = _opener()
settings = opener.settings
FirstFrame(AppContext(paths=opener.paths, opener=opener, keymap=dict(settings.keymap),
                      theme=settings.theme)).run(headless=True, size=(120, 40))
heavy = sorted({m.split('.')[0] for m in sys.modules} & {"kubernetes", "httpx"})
print("HEAVY", ",".join(heavy))
"""


def sample(code: str, env: dict[str, str]) -> tuple[float, str]:
    """Seconds from spawn to the end of the first frame, and the process's stdout."""
    start = time.time()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=False, timeout=60)
    if result.returncode != 0:
        raise SystemExit(f"sample failed:\n{result.stderr}")
    frame = next(float(line.split()[1]) for line in result.stdout.splitlines()
                 if line.startswith("FRAME"))
    return frame - start, result.stdout


def main() -> int:
    """Measure both, interleaved, and report."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ROLLBACK_HOME": home}
        minimal: list[float] = []
        ours: list[float] = []
        heavy = ""
        for _ in range(RUNS):
            minimal.append(sample(MINIMAL, env)[0])
            seconds, out = sample(ROLLBACK, env)
            ours.append(seconds)
            heavy = next((line.split(" ", 1)[1] if " " in line else ""
                          for line in out.splitlines() if line.startswith("HEAVY")), "?")
    ratio = statistics.median(ours) / statistics.median(minimal)
    report = {
        "minimal_textual_s": round(statistics.median(minimal), 4),
        "rollback_start_screen_s": round(statistics.median(ours), 4),
        "ratio": round(ratio, 3), "target_ratio": TARGET,
        "heavy_imports_before_first_frame": [h for h in heavy.split(",") if h],
        "runs": RUNS,
    }
    report["ok"] = ratio <= TARGET and not report["heavy_imports_before_first_frame"]
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
