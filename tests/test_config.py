"""The settings file: defaults, values, and FILE:LINE:COL errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.app.config import ConfigError, Settings, load_settings
from tui.app.paths import resolve_paths


def test_rollback_home_moves_everything(tmp_path: Path) -> None:
    paths = resolve_paths({"ROLLBACK_HOME": str(tmp_path)})
    for path in (paths.config_file, paths.data_dir, paths.incidents_dir, paths.runbooks_dir):
        assert path.is_relative_to(tmp_path)


def test_without_rollback_home_uses_platform_dirs(tmp_path: Path) -> None:
    paths = resolve_paths({"HOME": str(tmp_path)})
    assert "rollback-tui" in str(paths.config_file)
    assert paths.incidents_dir.name == "incidents"


def test_missing_or_empty_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.yaml") == Settings()
    empty = tmp_path / "empty.yaml"
    empty.write_text("\n")
    assert load_settings(empty) == Settings()


def test_values_are_read(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("actor: alice@laptop\ncontext: prod-eu\nprometheus_url: http://p:9090\n")
    settings = load_settings(path)
    assert settings.actor == "alice@laptop"
    assert settings.context == "prod-eu"
    assert settings.namespace is None


def test_problems_are_reported_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("actor: alice\ncontxt: prod\nnamespace: [a]\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"{path}:2:1: unknown key 'contxt'")
    assert "did you mean 'context'" in lines[0]
    assert lines[1].startswith(f"{path}:3:12: expected text, got a list")
