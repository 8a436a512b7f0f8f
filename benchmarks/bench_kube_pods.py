"""5,000 pods on the drill cluster through the Kubernetes adapter.

Time: `Kube.list_pods` (raw JSON, paged, GC paused) against `kubectl get pods -o json` for the
same pods, both fetched and parsed, in the same run against the same server (target ≤ 0.25).
Memory: tracemalloc's peak while fetching and holding the raw dicts against the typed-model path
(`list_namespaced_pod` deserialised into V1Pod objects) (target ≤ 0.6).

The drill runs in its own process (`rollback drill --serve`), as a real API server would: in
this process its serving and simulation would share the GIL with the adapter and be billed to
it, while kubectl, a separate process, would not pay for them.

Prints JSON; exits 1 if a target is missed.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

RUNS = 5
TIME_TARGET = 0.25
MEMORY_TARGET = 0.6
NAMESPACE, DEPLOYMENT, SELECTOR, PODS = "production", "fleet", "app=fleet", 5000


def median_seconds(fn: Callable[[], int]) -> tuple[float, int]:
    """Median wall time of RUNS calls (after one warm-up) and the count the last one returned."""
    count = fn()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        count = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), count


def peak_bytes(fn: Callable[[], Any]) -> tuple[int, int]:
    """tracemalloc's peak while fn runs and its result is held, and the items it returned."""
    gc.collect()
    tracemalloc.start()
    try:
        held = fn()
        _, peak = tracemalloc.get_traced_memory()
        count = len(held)
    finally:
        tracemalloc.stop()
    del held
    gc.collect()
    return peak, count


@contextlib.contextmanager
def drill_process(folder: Path, scenario: str = "scale-5000") -> Iterator[dict[str, Any]]:
    """`rollback drill SCENARIO --serve` in a child process; yields its info line."""
    env = {**os.environ, "ROLLBACK_HOME": str(folder / "home")}
    child = subprocess.Popen([sys.executable, "-m", "tui", "drill", scenario, "--serve",
                              "--speed", "20"], stdout=subprocess.PIPE, env=env, text=True)
    try:
        line = child.stdout.readline() if child.stdout else ""
        if not line:
            raise RuntimeError(f"the drill exited with {child.wait()} before it was ready")
        yield json.loads(line)
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)


def main() -> int:
    """Start the scale scenario, measure both paths, report."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print(json.dumps({"error": "kubectl not found"}))
        return 1
    folder = Path(tempfile.mkdtemp(prefix="bench-kube-pods-"))
    try:
        return measure(kubectl, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(kubectl: str, folder: Path) -> int:
    """Both paths against one drill process; print the JSON report."""
    from tui.adapters.kube import Kube

    with drill_process(folder) as info:
        kube = Kube.connect(info["kubeconfig"], request_timeout=120)
        env = {**os.environ, "KUBECONFIG": info["kubeconfig"]}
        argv = [kubectl, "--cache-dir", str(folder / "kc"), "get", "pods", "-n", NAMESPACE,
                "-l", SELECTOR, "-o", "json"]

        def adapter_list() -> int:
            return len(kube.list_pods(DEPLOYMENT).items)

        def kubectl_list() -> int:
            out = subprocess.run(argv, capture_output=True, env=env, check=True).stdout
            return len(json.loads(out)["items"])

        # The adapter's own endpoints return raw responses only; the typed baseline goes
        # through the official client's generated API on the same connection.
        from kubernetes import client

        typed_core = client.CoreV1Api(kube.api_client)

        def typed_list() -> list[Any]:
            return typed_core.list_namespaced_pod(NAMESPACE, label_selector=SELECTOR,
                                                  _request_timeout=300).items

        adapter_s, adapter_pods = median_seconds(adapter_list)
        kubectl_s, kubectl_pods = median_seconds(kubectl_list)
        start = time.perf_counter()
        typed_pods = len(typed_list())
        typed_s = time.perf_counter() - start
        raw_peak, raw_count = peak_bytes(lambda: kube.list_pods(DEPLOYMENT).items)
        typed_peak, typed_count = peak_bytes(typed_list)
        kube.close()
    time_ratio = adapter_s / kubectl_s
    memory_ratio = raw_peak / typed_peak
    counts_ok = {adapter_pods, kubectl_pods, typed_pods, raw_count, typed_count} == {PODS}
    ok = time_ratio <= TIME_TARGET and memory_ratio <= MEMORY_TARGET and counts_ok
    print(json.dumps({
        "pods": PODS,
        "time": {"kube_list_pods_median_s": round(adapter_s, 4),
                 "kubectl_get_pods_o_json_median_s": round(kubectl_s, 4),
                 "typed_models_s": round(typed_s, 4),
                 "ratio": round(time_ratio, 3), "target": TIME_TARGET},
        "memory": {"raw_dicts_peak_mb": round(raw_peak / 2**20, 1),
                   "typed_models_peak_mb": round(typed_peak / 2**20, 1),
                   "ratio": round(memory_ratio, 3), "target": MEMORY_TARGET},
        "counts": {"kube_list_pods": adapter_pods, "kubectl": kubectl_pods,
                   "typed": typed_pods},
        "ok": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
