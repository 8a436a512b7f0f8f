"""The fast paths and the core stay free of heavy and UI imports (checked in fresh interpreters)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("textual", "kubernetes", "httpx", "rich")


def _modules_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    return set(json.loads(result.stdout.splitlines()[-1]))


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY}


def test_help_imports_nothing_heavy() -> None:
    modules = _modules_after(
        "from tui.app.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert _heavy(modules) == set()
    assert "tui.app.cli" in modules


def test_validate_builtins_imports_nothing_heavy() -> None:
    modules = _modules_after(
        "import contextlib, io\nfrom tui.app.cli import main\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        "    assert main(['runbooks', 'validate']) == 0")
    assert _heavy(modules) == set()
    assert "tui.domain.runbook" in modules


def test_domain_layer_is_pure() -> None:
    modules = _modules_after(
        "import pkgutil, importlib, tui.domain\n"
        "for m in pkgutil.iter_modules(tui.domain.__path__):\n"
        "    importlib.import_module('tui.domain.' + m.name)")
    assert _heavy(modules) == set()
    assert not {m for m in modules if m.startswith(("tui.app", "tui.adapters", "tui.actions",
                                                    "screens", "widgets"))}


def test_session_and_domain_import_nothing_of_textual() -> None:
    modules = _modules_after(
        "import pkgutil, importlib, tui.domain, tui.session\n"
        "for pkg in (tui.domain, tui.session):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(pkg.__name__ + '.' + m.name)")
    assert "tui.session.session" in modules
    assert not {m for m in modules if m.split(".")[0] in ("textual", "screens", "widgets")}
