"""The work-side widgets stay a pure view: no adapters, no Kubernetes or HTTP client, no
reaching into other widgets (checked in a fresh interpreter and in the source)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WIDGETS = ("context_bar", "phase_strip", "step_list", "step_card", "checklist", "timeline",
           "cursor_list", "tail_view", "text", "timefmt")
ROOT = Path(__file__).resolve().parent.parent


def test_widgets_import_no_io_layers() -> None:
    code = ("import importlib, json, sys\n"
            f"for name in {WIDGETS!r}:\n"
            "    importlib.import_module('widgets.' + name)\n"
            "print(json.dumps(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    modules = set(json.loads(result.stdout.splitlines()[-1]))
    assert "widgets.step_card" in modules
    forbidden = {m for m in modules if m.split(".")[0] in ("kubernetes", "httpx")
                 or m.startswith(("tui.adapters", "tui.actions", "tui.session", "tui.app",
                                  "screens"))}
    assert forbidden == set()


def test_widgets_do_not_reach_into_other_widgets() -> None:
    for name in WIDGETS:
        source = (ROOT / "widgets" / f"{name}.py").read_text(encoding="utf-8")
        assert "query_one(" not in source and ".query(" not in source, name
