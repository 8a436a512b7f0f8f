"""Bad input is refused before anything starts: one clear line, exit 2, no folder created."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.app.cli import main
from tui.app.paths import resolve_paths
from tui.drill.faults import Faults


def refuse(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> str:
    """Run `rollback ARGV…` in-process; assert exit 2, no traceback, nothing created."""
    try:
        code = main(list(argv))
    except SystemExit as stop:
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2, (argv, err)
    assert "Traceback" not in err and "internal error" not in err, err
    assert not home.exists() or not any(home.rglob("journal*")), list(home.rglob("*"))
    incidents = resolve_paths().incidents_dir
    assert not incidents.exists() or not any(incidents.iterdir()), argv
    assert not (home / "data" / "drills").exists(), argv
    return err


@pytest.mark.parametrize("value", ["99999", "-1", "65536", "1e3", "", "８０"])
def test_drill_port_out_of_range_is_refused(capsys, rollback_home, value) -> None:
    err = refuse(capsys, rollback_home, "drill", "--serve", f"--port={value}")
    assert "argument --port:" in err and "0 (any free port) to 65535" in err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e-300", "1e308", "0", "-2", "x"])
@pytest.mark.parametrize("argv", [("drill", "--serve", "--speed"),
                                  ("run", "revert-deployment", "--headless", "--time-scale")])
def test_non_finite_and_absurd_speeds_are_refused(capsys, rollback_home, argv, value) -> None:
    err = refuse(capsys, rollback_home, *argv[:-1], f"{argv[-1]}={value}")
    assert f"argument {argv[-1]}:" in err and "from 0.01 to 1000" in err


@pytest.mark.parametrize(("spec", "expected"), [
    ("error-rate=abc", ("'error-rate=abc': expected error-rate=RATE with RATE a number from 0 "
                        "to 1, e.g. error-rate=0.2")),
    ("error-rate=nan", "error-rate=RATE with RATE a number from 0 to 1"),
    ("latency=999999999d", "'latency=999999999d': expected latency=DURATION from 0 to 30s"),
    ("latency=-1s", "expected latency=DURATION"),
    ("drop-watches=2d", "expected drop-watches=DURATION from 0 to 86400s"),
    ("deny=patch:\x1b[2J", "expected deny=VERB:RESOURCE in lower-case letters"),
    ("deny=PATCH:pods", "expected deny=VERB:RESOURCE"),
    ("conflict-next-write=3", "unknown fault 'conflict-next-write=3'"),
])
def test_malformed_faults_are_refused_naming_the_form(capsys, rollback_home, spec,
                                                      expected) -> None:
    err = refuse(capsys, rollback_home, "drill", "--serve", "--fault", spec)
    assert expected in err
    assert "\x1b" not in err and "could not convert" not in err
    assert len(err.strip().splitlines()) == 1


def test_well_formed_faults_still_apply() -> None:
    faults = Faults()
    for spec in ("error-rate=0.25", "latency=200ms", "drop-watches=30s", "deny=patch:deployments",
                 "deny=*:deployments/scale", "conflict-next-write", "metrics-down"):
        faults.apply(spec)
    assert faults.describe() == {
        "deny": ["*:deployments/scale", "patch:deployments"], "error_rate": 0.25,
        "latency": 0.2, "drop_watches": 30.0, "conflict_next_write": True, "metrics_down": True}


KUBECONFIGS = {
    "syntax": ("a: [\n", "syntax.yaml:2:1: YAML syntax"),
    "wrong-type": ("apiVersion: v1\nclusters: 5\n",
                   ("wrong-type.yaml:2:11: clusters is the value '5' (expected a list of "
                   "mappings with name and cluster)")),
    "bad-entry": ("clusters: []\ncontexts:\n- name: a\n  context: [1]\n",
                  "bad-entry.yaml:4:12: context is a list (expected a mapping)"),
    "text": ("root:x:0:0:root:/root:/bin/bash\nbin:x:1:1:bin:/bin:/sbin/nologin\n",
             "text.yaml:1:1: the file holds a long text, not a kubeconfig"),
}
RUN = ("run", "revert-deployment", "--headless", "--yes", "-p", "deployment=checkout",
       "-p", "expected_version=2.3.1")


@pytest.mark.parametrize("case", sorted(KUBECONFIGS))
def test_malformed_kubeconfig_is_refused_with_file_and_line(capsys, rollback_home, tmp_path,
                                                            case) -> None:
    text, expected = KUBECONFIGS[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    err = refuse(capsys, rollback_home, *RUN, "--kubeconfig", str(path))
    assert f"rollback: kubeconfig {tmp_path}/{expected}" in err
    assert "yaml.error.Mark" not in err and len(err.strip().splitlines()) == 1


def test_kubeconfig_folder_and_system_file_are_refused(capsys, rollback_home, tmp_path,
                                                       monkeypatch) -> None:
    err = refuse(capsys, rollback_home, *RUN, "--kubeconfig", str(tmp_path))
    assert f"kubeconfig {tmp_path} is a folder, not a file" in err
    monkeypatch.setenv("KUBECONFIG", "/etc/passwd")
    err = refuse(capsys, rollback_home, *RUN)
    assert "kubeconfig /etc/passwd:1:1: the file holds" in err


def test_a_parameter_a_step_would_refuse_is_refused_before_the_incident(
        capsys, rollback_home, tmp_path) -> None:
    from test_parameter_use import SHELL_RUNBOOK

    runbook = tmp_path / "listing.yaml"
    runbook.write_text(SHELL_RUNBOOK)
    err = refuse(capsys, rollback_home, "run", str(runbook), "--headless", "--yes",
                 "-p", "path=--help")
    assert "parameter 'path': step list would refuse it" in err
