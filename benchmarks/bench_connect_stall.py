"""How long `Kube.connect` in a worker thread can freeze an asyncio UI loop.

Each run is a fresh interpreter: an asyncio loop sleeps 1 ms at a time and records the longest
gap between wake-ups while a thread imports the Kubernetes adapter and calls `Kube.connect`
(what the TUI's connect worker does). Target: the longest gap of every run < 50 ms.

Baseline, same run: the same thread building the official client's generated API classes
(CoreV1Api, AppsV1Api, AuthorizationV1Api, VersionApi), which is what connect used to do. Their
modules create ~300 pydantic models; the churn triggers full garbage collections, and a
collection holds the GIL from start to end. The longest collection in each run is reported.

Prints JSON; exits 1 if the target is missed.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RUNS = 5
TARGET_MS = 50.0

PROBE = r"""
import asyncio, gc, json, sys, threading, time

mode, kubeconfig = sys.argv[1], sys.argv[2]
collections, started = [], {}

def timed(phase, info):
    if phase == "start":
        started["at"] = time.perf_counter()
    else:
        collections.append(time.perf_counter() - started["at"])

gc.callbacks.append(timed)

def work(done):
    begin = time.perf_counter()
    if mode == "adapter":
        from tui.adapters.kube import Kube
        Kube.connect(kubeconfig).close()
    else:
        from kubernetes import client
        from tui.adapters.kube_config import load_configuration
        configuration, _ = load_configuration(kubeconfig, None, None)
        api = client.ApiClient(configuration=configuration)
        client.CoreV1Api(api), client.AppsV1Api(api)
        client.AuthorizationV1Api(api), client.VersionApi(api)
        api.close()
    done.append(time.perf_counter() - begin)

async def main():
    done = []
    thread = threading.Thread(target=work, args=(done,))
    longest, last = 0.0, time.perf_counter()
    thread.start()
    while thread.is_alive():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    print(json.dumps({"longest_gap_ms": longest * 1000, "work_s": done[0],
                      "longest_gc_ms": max(collections, default=0.0) * 1000}))

asyncio.run(main())
"""

KUBECONFIG = """apiVersion: v1
kind: Config
current-context: bench
clusters: [{name: bench, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: bench, user: {token: "t"}}]
contexts: [{name: bench, context: {cluster: bench, user: bench, namespace: production}}]
"""


def probe(mode: str, kubeconfig: Path) -> dict[str, float]:
    """One fresh interpreter measuring one mode."""
    result = subprocess.run([sys.executable, "-c", PROBE, mode, str(kubeconfig)],
                            capture_output=True, text=True, check=True, timeout=120)
    return json.loads(result.stdout.splitlines()[-1])


def summary(runs: list[dict[str, float]]) -> dict[str, object]:
    """Worst and median of each figure over the runs."""
    gaps = [r["longest_gap_ms"] for r in runs]
    return {"longest_gap_ms": {"max": round(max(gaps), 1),
                               "median": round(statistics.median(gaps), 1),
                               "runs": [round(g, 1) for g in gaps]},
            "longest_gc_ms_max": round(max(r["longest_gc_ms"] for r in runs), 1),
            "work_s_median": round(statistics.median(r["work_s"] for r in runs), 3)}


def main() -> int:
    """Measure both paths in alternating fresh interpreters; print the JSON report."""
    with tempfile.TemporaryDirectory(prefix="bench-connect-") as folder:
        kubeconfig = Path(folder) / "kubeconfig"
        kubeconfig.write_text(KUBECONFIG)
        adapter, generated = [], []
        for _ in range(RUNS):
            adapter.append(probe("adapter", kubeconfig))
            generated.append(probe("generated", kubeconfig))
    ours, baseline = summary(adapter), summary(generated)
    worst = max(r["longest_gap_ms"] for r in adapter)
    ok = worst < TARGET_MS
    print(json.dumps({
        "kube_connect": ours, "generated_client_baseline": baseline,
        "ratio_worst_gap": round(worst / max(r["longest_gap_ms"] for r in generated), 3),
        "target_ms": TARGET_MS, "ok": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
