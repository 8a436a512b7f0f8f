"""A real Prometheus, loading runbooks/prometheus-rules.yaml and scraping the drill's /metrics,
agrees with the drill's own query API."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, require_tool

from tui.drill.promapi import SERIES

RULES = REPO / "runbooks" / "prometheus-rules.yaml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _instant(base: str, query: str) -> dict[str, float]:
    body = _get(f"{base}/api/v1/query?query={urllib.parse.quote(query)}")
    assert body["status"] == "success", body
    return {r["metric"].get("service", ""): float(r["value"][1]) for r in body["data"]["result"]}


@pytest.fixture
def prometheus(tmp_path: Path):
    """Start a real Prometheus scraping the given drill service; yields its base URL."""
    binary = require_tool("prometheus")
    processes = []

    def start(api_url: str, service: str) -> str:
        port = _free_port()
        target = urllib.parse.urlsplit(api_url).netloc
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: ['{RULES}']\n"
            "scrape_configs:\n"
            "  - job_name: drill\n"
            f"    metrics_path: /apps/{service}/metrics\n"
            f"    static_configs: [{{targets: ['{target}']}}]\n")
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("w"))
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/-/ready", timeout=1)
                return base
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.2)
        pytest.fail("Prometheus did not start: " + (tmp_path / "prometheus.log").read_text()[-2000:])

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def test_rules_are_valid_for_promtool() -> None:
    promtool = require_tool("promtool")
    result = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 rules found" in result.stdout


def _answers(prom: str, drill_api: str) -> dict[str, tuple[float, float]]:
    answers = {}
    for name in SERIES:
        real = _instant(prom, f'{name}{{service="checkout"}}')
        ours = _instant(drill_api, f'{name}{{service="checkout"}}')
        if "checkout" in real and "checkout" in ours:
            answers[name] = (real["checkout"], ours["checkout"])
    return answers


@pytest.mark.slow
def test_real_prometheus_agrees_with_the_drill_within_10_percent(drill, prometheus) -> None:
    # bad-flag is steady (no crash loop): 40 req/s, 15 % errors while the flag is on. rate()
    # over [5m] divides by the whole window, so a fresh Prometheus needs 5 minutes of scrapes
    # before its request rate is the real one; the ratios agree from the first evaluations.
    _cluster, info = drill("bad-flag", speed=20)
    started = time.monotonic()
    prom = prometheus(info.api, "checkout")
    drill_api = info.prometheus
    early: dict[str, tuple[float, float]] = {}
    while time.monotonic() - started < 30 and len(early) < len(SERIES):
        time.sleep(2)
        early = _answers(prom, drill_api)
    for name in ("service:http_requests_errors:ratio_rate5m",
                 "service:http_request_duration_seconds:p95_5m"):
        real, ours = early[name]
        assert ours == pytest.approx(real, rel=0.10), f"{name}: prometheus {real}, drill {ours}"
    time.sleep(max(0.0, 310 - (time.monotonic() - started)))
    answers = _answers(prom, drill_api)
    assert set(answers) == set(SERIES), f"series missing: {answers}"
    for name, (real, ours) in answers.items():
        assert ours == pytest.approx(real, rel=0.10), f"{name}: prometheus {real}, drill {ours}"
    _rate_real, rate_ours = answers["service:http_requests:rate5m"]
    assert rate_ours == pytest.approx(40, rel=0.10)
    ratio = answers["service:http_requests_errors:ratio_rate5m"][1]
    assert ratio == pytest.approx(0.15, rel=0.10)


def test_drill_query_api_speaks_prometheus_errors(drill) -> None:
    cluster, info = drill("bad-flag")
    try:
        _get(f"{info.prometheus}/api/v1/query?query=up")
        pytest.fail("an unsupported expression must be refused")
    except urllib.error.HTTPError as exc:
        assert exc.code == 400
        body = json.loads(exc.read())
        assert body["status"] == "error" and body["errorType"] == "bad_data"
        assert "service:http_requests:rate5m" in body["error"]
    build = _get(f"{info.prometheus}/api/v1/status/buildinfo")
    assert build["status"] == "success" and build["data"]["version"]
    cluster.faults.apply("metrics-down")
    with pytest.raises(urllib.error.HTTPError) as info_error:
        _get(f"{info.prometheus}/api/v1/query?query=service:http_requests:rate5m")
    assert info_error.value.code == 503
