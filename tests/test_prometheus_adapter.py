"""The Prometheus adapter against the drill's query API and a real Prometheus (TLS, basic auth)."""

from __future__ import annotations

import base64
import json
import math
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from conftest import REPO, require_tool

from tui.adapters.prometheus import (
    Baseline,
    Prometheus,
    PrometheusError,
    Sample,
    Verdict,
    evaluate,
)
from tui.domain.runbook import Metric

RATIO = 'service:http_requests_errors:ratio_rate5m{service="checkout"}'
P95 = 'service:http_request_duration_seconds:p95_5m{service="checkout"}'
ERROR_RATIO = Metric("error_ratio", RATIO, "ratio", 0.05, "above_is_bad")
RULES = REPO / "runbooks" / "prometheus-rules.yaml"
USER, PASSWORD = "oncall", "drill-password"
# bcrypt (cost 4, so each check is cheap) of PASSWORD, as Prometheus' web config wants it.
PASSWORD_HASH = "$2b$04$KP1FXkF3EdZy.2tyKirD8.1dXxMnWDbzGrtYx7Zf99saeug2wSddy"
NO_ENV: dict[str, str] = {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the drill's query API ----------------------------------------------------------------


async def test_query_reads_the_current_error_ratio(drill) -> None:
    _, info = drill("bad-flag")
    async with Prometheus(info.prometheus, environ=NO_ENV) as prom:
        samples = await prom.query(RATIO)
    assert len(samples) == 1
    sample = samples[0]
    assert isinstance(sample, Sample)
    assert sample.labels["service"] == "checkout"
    assert sample.value == pytest.approx(0.15, rel=0.05)
    assert sample.timestamp == pytest.approx(time.time(), abs=30)


async def test_query_at_a_past_time_reads_the_history(drill) -> None:
    _, info = drill("bad-flag")
    async with Prometheus(info.prometheus, environ=NO_ENV) as prom:
        before = await prom.query(RATIO, at=time.time() - 1800)
    assert before[0].value == pytest.approx(0.002, rel=0.1)


async def test_query_range_shows_the_release_step(drill) -> None:
    _, info = drill("bad-flag")
    now = time.time()
    async with Prometheus(info.prometheus, environ=NO_ENV) as prom:
        series = await prom.query_range(RATIO, now - 1200, now, 60)
    assert len(series) == 1 and series[0].labels["service"] == "checkout"
    points = series[0].points
    assert len(points) == 21
    assert [t for t, _ in points] == sorted(t for t, _ in points)
    assert points[0][1] == pytest.approx(0.002, rel=0.1)  # 20 min ago: before the release
    assert points[-1][1] == pytest.approx(0.15, rel=0.05)  # now: the flag is on


async def test_a_long_expression_is_sent_in_a_post_body(drill) -> None:
    _, info = drill("bad-flag")
    padded = RATIO + " " * 4000  # too long for some proxies' URL limits
    async with Prometheus(info.prometheus, environ=NO_ENV) as prom:
        samples = await prom.query(padded)
    assert samples[0].value == pytest.approx(0.15, rel=0.05)


async def test_an_unsupported_query_surfaces_the_apis_own_error(drill) -> None:
    _, info = drill("bad-flag")
    async with Prometheus(info.prometheus, environ=NO_ENV) as prom:
        with pytest.raises(PrometheusError) as caught:
            await prom.query("up")
    error = caught.value
    assert error.status == 400 and error.error_type == "bad_data"
    assert "'up'" in str(error) and "answers only the recording-rule series" in str(error)
    assert info.prometheus in str(error)


async def test_metrics_down_is_a_503_with_the_reason(drill) -> None:
    cluster, info = drill("bad-flag")
    cluster.faults.apply("metrics-down")
    async with Prometheus(info.prometheus, environ=NO_ENV) as prom:
        with pytest.raises(PrometheusError) as caught:
            await prom.query(RATIO)
    assert caught.value.status == 503
    assert "HTTP 503 (unavailable): metrics API down" in str(caught.value)


async def test_query_one_names_missing_and_ambiguous_series(drill) -> None:
    _, info = drill("blue-green")  # three services answer the ratio without a matcher
    async with Prometheus(info.prometheus, environ=NO_ENV) as prom:
        one = await prom.query_one(RATIO, at=time.time())
        with pytest.raises(PrometheusError) as none:
            await prom.query_one(RATIO.replace("checkout", "nope"))
        with pytest.raises(PrometheusError) as several:
            await prom.query_one("service:http_requests_errors:ratio_rate5m")
    assert one.labels["service"] == "checkout"
    assert str(none.value).startswith(f"no data for {RATIO.replace('checkout', 'nope')!r} at "
                                      f"{info.prometheus}: is the series recorded")
    assert "returned 3 series" in str(several.value)
    assert "narrow it with label matchers" in str(several.value)


def test_baselines_and_verdicts_are_the_domains() -> None:
    from tui.domain import metrics

    assert (Baseline, Verdict, evaluate) == (metrics.Baseline, metrics.Verdict, metrics.evaluate)


async def test_build_info(drill) -> None:
    _, info = drill("bad-flag")
    async with Prometheus(info.prometheus, environ=NO_ENV) as prom:
        build = await prom.build_info()
    assert build["version"] == "2.45.0-drill"


async def test_unreachable_url_is_named() -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # bound then released: nothing listens there
    async with Prometheus(url, environ=NO_ENV) as prom:
        with pytest.raises(PrometheusError) as caught:
            await prom.query(RATIO)
    assert str(caught.value).startswith(f"cannot reach Prometheus at {url}")


async def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:
        # The kernel completes the TCP handshake from the backlog; nobody ever reads or answers.
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        async with Prometheus(url, timeout=0.5, environ=NO_ENV) as prom:
            with pytest.raises(PrometheusError) as caught:
                await prom.query(RATIO)
    assert time.monotonic() - started < 5
    assert "did not answer the query" in str(caught.value) and "within 0.5s" in str(caught.value)


class _LoginPage(BaseHTTPRequestHandler):
    """What a Grafana or SSO login page in front of the wrong URL looks like."""

    def do_GET(self) -> None:
        body = b"<html><body><h1>Sign in</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def login_page() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LoginPage)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_a_non_json_answer_is_explained(login_page: str) -> None:
    async with Prometheus(login_page, environ=NO_ENV) as prom:
        with pytest.raises(PrometheusError) as caught:
            await prom.query(RATIO)
    message = str(caught.value)
    assert "not its JSON (text/html)" in message and "Sign in" in message
    assert "Prometheus API root" in message


async def test_a_password_in_the_url_stays_out_of_messages() -> None:
    url = f"http://admin:hunter2hunter2@127.0.0.1:{_free_port()}"
    async with Prometheus(url, environ=NO_ENV) as prom:
        with pytest.raises(PrometheusError) as caught:
            await prom.query(RATIO)
    assert "hunter2" not in str(caught.value) and "admin:***@127.0.0.1" in str(caught.value)


# --- baseline and verdicts ----------------------------------------------------------------


async def test_baseline_over_the_hour_before_the_release_and_the_verdict(drill) -> None:
    # The drill's last 10 minutes run with the flag on; reading the clock before the drill
    # starts keeps the window's end at or before the release.
    release = time.time() - 600
    _, info = drill("bad-flag")
    async with Prometheus(info.prometheus, environ=NO_ENV) as prom:
        baseline = await prom.baseline(RATIO, release, window=3600, step=60)
        current = (await prom.query(RATIO))[0].value
    assert baseline.expr == RATIO and baseline.end == pytest.approx(release)
    assert baseline.start == pytest.approx(release - 3600)
    assert baseline.samples >= 30
    assert baseline.mean == pytest.approx(0.002, rel=0.1)
    assert baseline.p50 <= baseline.p95 <= baseline.max < 0.01
    verdict = evaluate(current, metric=ERROR_RATIO, baseline=baseline, tolerance=1.5)
    assert verdict == Verdict(False, "error_ratio 0.150 > threshold 0.050 (baseline 0.002, "
                                     "75× baseline, over the 1.5× tolerance)")
    assert evaluate(current, metric=ERROR_RATIO, baseline=baseline).message == (
        "error_ratio 0.150 > threshold 0.050 (baseline 0.002, 75× baseline)")
    # The journal keeps the baseline as JSON; the runner reads it back on resume.
    restored = Baseline.from_dict(json.loads(json.dumps(baseline.to_dict())))
    assert restored == baseline


async def test_baseline_without_data_says_so(drill) -> None:
    _, info = drill("bad-flag")
    async with Prometheus(info.prometheus, environ=NO_ENV) as prom:
        with pytest.raises(PrometheusError, match="no data for .* no baseline"):
            await prom.baseline(RATIO, time.time() - 30 * 86400)


def test_baseline_from_dict_names_a_missing_field() -> None:
    record = Baseline.from_values("x", 0, 60, [1.0, 2.0, 3.0, 4.0]).to_dict()
    assert record["mean"] == 2.5 and record["p50"] == 2.5 and record["max"] == 4.0
    del record["p95"]
    with pytest.raises(ValueError, match="lacks the field 'p95'"):
        Baseline.from_dict(record)
    with pytest.raises(ValueError, match="malformed"):
        Baseline.from_dict({**Baseline.from_values("x", 0, 60, [1.0]).to_dict(), "mean": "n/a"})


def test_evaluate_threshold_directions_and_tolerance() -> None:
    base = Baseline.from_values("rate", 0, 3600, [40.0, 40.0, 42.0, 38.0])
    assert evaluate(0.01, metric=ERROR_RATIO) == Verdict(True, "error_ratio 0.010 ≤ threshold 0.050")
    low = evaluate(12.0, threshold=20, direction="below_is_bad", baseline=base, tolerance=0.8,
                   name="request_rate")
    assert low == Verdict(False, "request_rate 12.000 < threshold 20.000 (baseline 40.000, "
                                 "0.3× baseline, under the 0.8× tolerance)")
    fine = evaluate(39.0, direction="below_is_bad", baseline=base, tolerance=0.8)
    assert fine.ok and "within the 0.8× tolerance" in fine.message
    # Within the threshold, but far above the baseline: the baseline check fails it.
    p95 = Metric("p95_latency", P95, "seconds", 1.0, "above_is_bad")
    slow = evaluate(0.9, metric=p95, baseline=Baseline.from_values(P95, 0, 1, [0.12]),
                    tolerance=1.5)
    assert not slow.ok and slow.message.startswith("p95_latency 0.900 ≤ threshold 1.000")
    assert "7.5× baseline, over the 1.5× tolerance" in slow.message


def test_evaluate_never_passes_what_it_cannot_judge() -> None:
    assert not evaluate(math.nan, metric=ERROR_RATIO).ok
    assert "NaN" in evaluate(math.nan, metric=ERROR_RATIO).message
    assert not evaluate(math.inf, metric=ERROR_RATIO).ok
    assert "no baseline to compare with" in evaluate(0.01, threshold=0.05, tolerance=1.5).message
    unjudged = evaluate(0.3)
    assert "nothing to judge it by" in unjudged.message
    zero = evaluate(0.01, threshold=0.05, baseline=Baseline.from_values("x", 0, 1, [0.0]))
    assert zero.ok and zero.message == "value 0.010 ≤ threshold 0.050 (baseline 0.000)"
    with pytest.raises(ValueError, match="direction 'up'"):
        evaluate(1.0, threshold=2, direction="up")


# --- credentials and TLS ------------------------------------------------------------------


def _recorder(seen: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "success", "data": {
            "resultType": "vector", "result": [
                {"metric": {"service": "checkout"}, "value": [1700000000.5, "NaN"]},
                {"metric": {"service": "cart"}, "value": [1700000000.5, "+Inf"]}]}})

    return httpx.MockTransport(answer)


async def test_bearer_token_and_basic_auth_headers_are_sent() -> None:
    """No Prometheus here checks bearer tokens (Prometheus itself only does basic auth, which a
    real one checks below), so a MockTransport records the Authorization header bytes."""
    seen: list[httpx.Request] = []
    env = {"ROLLBACK_PROMETHEUS_TOKEN": "tok-123", "ROLLBACK_PROMETHEUS_USER": "ignored"}
    async with Prometheus("https://prom.example/x", environ=env, transport=_recorder(seen)) as p:
        samples = await p.query("up", at=1700000000.5)
    assert seen[0].headers["authorization"] == "Bearer tok-123"  # the token wins
    assert seen[0].url.path == "/x/api/v1/query"
    assert seen[0].url.params["time"] == "1700000000.5"
    assert math.isnan(samples[0].value) and samples[1].value == math.inf
    env = {"ROLLBACK_PROMETHEUS_USER": USER, "ROLLBACK_PROMETHEUS_PASSWORD": PASSWORD}
    async with Prometheus("https://prom.example", environ=env, transport=_recorder(seen)) as p:
        await p.query("up")
    expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert seen[1].headers["authorization"] == f"Basic {expected}"
    async with Prometheus("https://prom.example", environ=NO_ENV, transport=_recorder(seen)) as p:
        await p.query("up")
    assert "authorization" not in seen[2].headers


def test_an_invalid_url_is_reported() -> None:
    with pytest.raises(PrometheusError, match="not a Prometheus URL"):
        Prometheus("http://[::1", environ=NO_ENV)


def test_a_missing_ca_file_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    env = {"ROLLBACK_PROMETHEUS_CA_FILE": str(missing)}
    with pytest.raises(PrometheusError, match=f"CA file {missing}"):
        Prometheus("https://prom.example", environ=env)


@pytest.fixture(scope="module")
def real_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real Prometheus behind TLS (our own CA) and basic auth, recording the drill's rules."""
    binary = require_tool("prometheus")
    openssl = require_tool("openssl")
    from tui.drill.cluster import DrillCluster
    from tui.drill.scenario import find_scenario

    folder = tmp_path_factory.mktemp("real-prometheus")
    ca = _make_certificates(openssl, folder)
    cluster = DrillCluster(find_scenario("bad-flag"), folder=folder / "drill", speed=20)
    info = cluster.start()
    port = _free_port()
    (folder / "web.yml").write_text(
        f"tls_server_config: {{cert_file: {folder / 'server.crt'}, "
        f"key_file: {folder / 'server.key'}}}\n"
        f"basic_auth_users: {{{USER}: '{PASSWORD_HASH}'}}\n")
    target = urllib.parse.urlsplit(info.api).netloc
    (folder / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{RULES}']\n"
        "scrape_configs:\n"
        "  - job_name: drill\n"
        "    metrics_path: /apps/checkout/metrics\n"
        f"    static_configs: [{{targets: ['{target}']}}]\n")
    log = folder / "prometheus.log"
    process = subprocess.Popen(
        [binary, f"--config.file={folder / 'prometheus.yml'}",
         f"--web.config.file={folder / 'web.yml'}", f"--storage.tsdb.path={folder / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=log.open("w"))
    base = f"https://127.0.0.1:{port}"
    try:
        _wait_for_ratio(base, ca, process, log)
        yield {"url": base, "ca": str(ca)}
    finally:
        process.terminate()
        process.wait(timeout=10)
        cluster.stop()


def _make_certificates(openssl: str, folder: Path) -> Path:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it."""
    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=rollback-tui test CA")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                    "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf")
    return folder / "ca.crt"


def _wait_for_ratio(base: str, ca: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the recording rule has produced a checkout error ratio (a few seconds).

    Its first evaluations can be NaN: two scrapes that fall between two of the drill's
    once-a-second traffic ticks see the same counters, and rate() of no change is 0/0.
    """
    context = ssl.create_default_context(cafile=str(ca))
    auth = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    url = f"{base}/api/v1/query?query={urllib.parse.quote(RATIO)}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            request = urllib.request.Request(url, headers={"Authorization": auth})
            with urllib.request.urlopen(request, timeout=2, context=context) as response:
                result = json.loads(response.read())["data"]["result"]
                if result and math.isfinite(float(result[0]["value"][1])):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail("Prometheus produced no error-ratio series: " + log.read_text()[-2000:])


def _real_env(real: dict[str, str], **extra: str) -> dict[str, str]:
    return {"ROLLBACK_PROMETHEUS_USER": USER, "ROLLBACK_PROMETHEUS_PASSWORD": PASSWORD,
            "ROLLBACK_PROMETHEUS_CA_FILE": real["ca"], **extra}


async def test_real_prometheus_query_and_range(real_prometheus: dict[str, str]) -> None:
    async with Prometheus(real_prometheus["url"], environ=_real_env(real_prometheus)) as prom:
        samples = await prom.query(RATIO)
        now = time.time()
        series = await prom.query_range(RATIO, now - 30, now, 1)
        padded = await prom.query(RATIO + " " * 4000)
        build = await prom.build_info()
    assert samples[0].labels == {"__name__": "service:http_requests_errors:ratio_rate5m",
                                 "service": "checkout"}
    assert samples[0].value == pytest.approx(0.15, rel=0.2)
    assert len(series) == 1 and len(series[0].points) >= 1
    assert all(v == pytest.approx(0.15, rel=0.2) for _, v in series[0].points)
    assert padded[0].value == pytest.approx(0.15, rel=0.2)
    assert build["version"].startswith("2.")


async def test_real_prometheus_nan_inf_and_scalars(real_prometheus: dict[str, str]) -> None:
    async with Prometheus(real_prometheus["url"], environ=_real_env(real_prometheus)) as prom:
        nan = await prom.query("vector(0) / 0")
        inf = await prom.query("vector(1) / 0")
        scalar = await prom.query("scalar(vector(2.5))")
        with pytest.raises(PrometheusError, match="gave a matrix result"):
            await prom.query(f"{RATIO}[1m]")
    assert math.isnan(nan[0].value) and inf[0].value == math.inf
    assert scalar == [Sample({}, 2.5, scalar[0].timestamp)]


async def test_real_prometheus_bad_query_says_its_parse_error(
        real_prometheus: dict[str, str]) -> None:
    async with Prometheus(real_prometheus["url"], environ=_real_env(real_prometheus)) as prom:
        with pytest.raises(PrometheusError) as caught:
            await prom.query("sum(rate(http_requests_total[5m]")
    assert caught.value.status == 400 and caught.value.error_type == "bad_data"
    assert "(bad_data): invalid parameter \"query\": 1:33: parse error: unclosed left" in str(
        caught.value)


async def test_real_prometheus_checks_basic_auth(real_prometheus: dict[str, str]) -> None:
    env = _real_env(real_prometheus)
    del env["ROLLBACK_PROMETHEUS_USER"]
    async with Prometheus(real_prometheus["url"], environ=env) as prom:
        with pytest.raises(PrometheusError) as anonymous:
            await prom.query(RATIO)
    assert anonymous.value.status == 401
    assert "set ROLLBACK_PROMETHEUS_TOKEN or ROLLBACK_PROMETHEUS_USER" in str(anonymous.value)
    wrong = _real_env(real_prometheus, ROLLBACK_PROMETHEUS_PASSWORD="not-the-password")
    async with Prometheus(real_prometheus["url"], environ=wrong) as prom:
        with pytest.raises(PrometheusError) as refused:
            await prom.query(RATIO)
    assert refused.value.status == 401 and "check ROLLBACK_PROMETHEUS_TOKEN" in str(refused.value)
    assert "not-the-password" not in str(refused.value)


async def test_real_prometheus_tls_needs_our_ca(real_prometheus: dict[str, str]) -> None:
    env = _real_env(real_prometheus)
    ca = env.pop("ROLLBACK_PROMETHEUS_CA_FILE")
    async with Prometheus(real_prometheus["url"], environ=env) as prom:
        with pytest.raises(PrometheusError) as untrusted:
            await prom.query(RATIO)
    assert "CERTIFICATE_VERIFY_FAILED" in str(untrusted.value)
    assert "ROLLBACK_PROMETHEUS_CA_FILE" in str(untrusted.value)
    async with Prometheus(real_prometheus["url"], environ=env, verify=ca) as prom:
        assert prom.ca_file == ca
        assert (await prom.query(RATIO))[0].value > 0
    async with Prometheus(real_prometheus["url"], environ=env, verify=False) as prom:
        assert (await prom.query(RATIO))[0].value > 0


def test_a_zero_baseline_is_judged_by_the_threshold_alone() -> None:
    from tui.adapters.prometheus import Baseline, evaluate

    zero = Baseline.from_values("q", 0.0, 60.0, [0.0, 0.0, 0.0])
    verdict = evaluate(0.0004, threshold=0.05, baseline=zero, tolerance=1.5, name="error_ratio")
    assert verdict.ok, verdict.message
    assert "zero baseline" in verdict.message
    assert not evaluate(0.2, threshold=0.05, baseline=zero, tolerance=1.5).ok
