"""`rollback drill`: --list, --serve's ready line and clean shutdown, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import rollback_argv


def test_list_names_the_scenarios(run_cli) -> None:
    result = run_cli("drill", "--list")
    assert result.returncode == 0
    ids = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"bad-release", "bad-flag", "scale-5000"} <= set(ids)
    assert "INVALID" not in result.stdout


def _served_version(app: str, within: float = 60.0) -> str:
    """The version the app's ready pods serve; while the crash-looping release has none ready
    the Service answers 503, as a real one with no endpoints would, so ask again."""
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(app + "/version", timeout=5) as response:
                return json.loads(response.read())["version"]
        except urllib.error.HTTPError as error:
            if error.code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_serve_prints_one_json_line_and_stops_cleanly_on_sigterm() -> None:
    process = subprocess.Popen([*rollback_argv(), "drill", "--serve", "--speed", "20"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=os.environ.copy())
    try:
        line = process.stdout.readline()
        ready = json.loads(line)
        assert set(ready) >= {"kubeconfig", "api", "prometheus", "apps", "namespace",
                              "deployment", "scenario"}
        assert ready["scenario"] == "bad-release" and ready["namespace"] == "production"
        assert ready["deployment"] == "checkout"
        with urllib.request.urlopen(ready["api"] + "/version", timeout=5) as response:
            assert json.loads(response.read())["major"] == "1"
        assert _served_version(ready["apps"]["checkout"]) == "2.4.0"
        kubeconfig = Path(ready["kubeconfig"]).read_text()
        assert ready["api"].partition("://")[2] in kubeconfig and "token:" in kubeconfig
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert out == ""  # exactly one line was printed
    assert "Traceback" not in err


def test_bad_input_is_a_usage_error(run_cli, tmp_path) -> None:
    for args, expected in ((("drill", "nope", "--serve"), "no scenario 'nope'"),
                           (("drill", "--serve", "--fault", "explode"), "unknown fault"),
                           (("drill", "--serve", "--fault", "deny=patch"), "deny=VERB:RESOURCE"),
                           (("drill", "--serve", "--speed", "0"),
                            "--speed: '0' is out of range: expected a number from 0.01 to 1000")):
        result = run_cli(*args, timeout=30)
        assert result.returncode == 2, (args, result.stderr)
        assert expected in result.stderr
        assert "Traceback" not in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ndescription: y\nnamespaces: [a]\ndeployments:\n"
                      "  - name: d\n    namespace: a\n    replicas: three\n    revisions: []\n")
    result = run_cli("drill", str(broken), "--serve")
    assert result.returncode == 2
    assert f"{broken}:7:15: expected an integer" in result.stderr
