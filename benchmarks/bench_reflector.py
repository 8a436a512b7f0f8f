"""50,000 pods through the pod reflector, against real kubectl, on one drill cluster.

The drill runs in its own process (`rollback drill FILE --serve`), as a real API server would,
with a scenario of 50,000 pods written from the shipped scale-5000 one. Measured in one run:

- list: the pod reflector from start to its first snapshot (all 50,000 rows), in a fresh child
  process, median of RUNS, against the mean of two `kubectl get pods -l app=fleet -o json` runs
  (fresh --cache-dir each, generous --request-timeout), fetched and parsed, one before and one
  after the reflector runs. Target ratio ≤ 0.1.
- memory: tracemalloc's peak and the process's peak RSS while listing and holding the rows, in
  a child process that does nothing else. Target < 150 MB each.
- watch: parse + transform + bookkeeping of each real watch event while the Deployment is
  scaled up by SCALE_STEP pods and back down. Target: median < 1 ms.
- the drill's own share: every page fetched raw (no parsing) at the same page size, and how
  long each of the reflector's pages took the server to answer (the reflector fetches the next
  page while it parses one, so its time is about the larger of the two).

Prints JSON; exits 1 if a target is missed.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RUNS = 3
PODS = 50_000
SCALE_STEP = 300
TIME_TARGET, MEMORY_TARGET_MB, APPLY_TARGET_MS = 0.1, 150.0, 1.0
NAMESPACE, DEPLOYMENT, SELECTOR = "production", "fleet", "app=fleet"
MB = 2 ** 20


def write_scenario(folder: Path) -> Path:
    """The scale-5000 scenario with PODS replicas, as a scenario file."""
    from tui.drill.scenario import SCENARIO_DIR

    text = (SCENARIO_DIR / "scale-5000.yaml").read_text()
    text = text.replace("id: scale-5000", "id: scale-50000").replace(
        "replicas: 5000", f"replicas: {PODS}").replace("5,000 healthy pods", "50,000 healthy pods")
    path = folder / "scale-50000.yaml"
    path.write_text(text)
    return path


@contextlib.contextmanager
def drill_process(folder: Path, scenario: Path) -> Iterator[dict[str, Any]]:
    """The drill serving `scenario` in a child process; yields its info line (and start time)."""
    env = {**os.environ, "ROLLBACK_HOME": str(folder / "home")}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "tui", "drill", str(scenario), "--serve",
                              "--speed", "20"], stdout=subprocess.PIPE, env=env, text=True)
    try:
        line = child.stdout.readline() if child.stdout else ""
        if not line:
            raise RuntimeError(f"the drill exited with {child.wait()} before it was ready")
        yield {**json.loads(line), "start_s": time.perf_counter() - started}
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=60)


# ---- the child process: one reflector, measured ------------------------------------------

def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss it starts afresh at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, kubeconfig: str) -> None:
    """List (and in `watch` mode follow) the pods; print one JSON line of figures."""
    from tui.adapters.kube import Kube

    if mode == "memory":
        tracemalloc.start()
    kube = Kube.connect(kubeconfig, request_timeout=600)
    baseline_rss = peak_rss_mb()
    snapshots: list[Any] = []
    arrived = threading.Event()

    def changed(snapshot: Any) -> None:
        snapshots.append((time.perf_counter(), snapshot))
        arrived.set()

    fetches: list[float] = []
    fetch = kube._fetch

    def timed_fetch(*args: Any, **kwargs: Any) -> bytes:
        begin = time.perf_counter()
        try:
            return fetch(*args, **kwargs)
        finally:
            fetches.append(time.perf_counter() - begin)

    kube._fetch = timed_fetch  # how long each page took the server to answer
    reflector = kube.pod_reflector(DEPLOYMENT, changed, coalesce=0.2)
    stop = threading.Event()
    started = time.perf_counter()
    thread = threading.Thread(target=reflector.run, args=(stop,), daemon=True)
    thread.start()
    arrived.wait(timeout=1200)
    listed_s = snapshots[0][0] - started if snapshots else float("nan")
    pages = sorted(fetches)
    figures: dict[str, Any] = {"listed_s": listed_s,
                               "rows": len(snapshots[0][1].rows) if snapshots else 0,
                               "page_wait_s": sum(pages),
                               "page_wait_median_ms": statistics.median(pages) * 1000,
                               "page_wait_max_ms": pages[-1] * 1000}
    if mode == "memory":
        current, peak = tracemalloc.get_traced_memory()
        figures.update(traced_peak_mb=peak / MB, traced_held_mb=current / MB)
    if mode == "watch":
        figures.update(follow(kube, reflector, snapshots))
    stop.set()
    thread.join(timeout=5)
    figures.update(peak_rss_mb=peak_rss_mb(),
                   baseline_rss_mb=baseline_rss)
    print(json.dumps(figures))


def follow(kube: Any, reflector: Any, snapshots: list[Any]) -> dict[str, Any]:
    """Scale up by SCALE_STEP and back; the cost of each real watch event applied."""
    reflector.apply_seconds.clear()
    kube.scale(DEPLOYMENT, PODS + SCALE_STEP)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(snapshots[-1][1].rows) < PODS + SCALE_STEP:
        time.sleep(0.2)
    kube.scale(DEPLOYMENT, PODS)
    while time.monotonic() < deadline and len(snapshots[-1][1].rows) > PODS:
        time.sleep(0.2)
    applied = sorted(reflector.apply_seconds)
    sizes = [len(s.added) + len(s.changed) + len(s.removed) for _, s in snapshots[1:]]
    return {"events": reflector.events, "apply_timed": len(applied),
            "apply_median_ms": statistics.median(applied) * 1000 if applied else float("nan"),
            "apply_p99_ms": applied[int(len(applied) * 0.99)] * 1000 if applied else None,
            "snapshots_while_scaling": len(sizes), "rows_after": len(snapshots[-1][1].rows),
            "relists": reflector.relists}


def run_child(mode: str, kubeconfig: str) -> dict[str, Any]:
    """One fresh interpreter measuring one mode."""
    result = subprocess.run([sys.executable, __file__, "--child", mode, kubeconfig],
                            capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(result.stdout.splitlines()[-1])


# ---- the parent ------------------------------------------------------------------------------

def raw_pages(api: str, kubeconfig: str) -> tuple[float, int]:
    """Every page of the pod list fetched without parsing: the drill's own serving time."""
    import yaml

    bearer = yaml.safe_load(Path(kubeconfig).read_text())["users"][0]["user"]["token"]
    started, pages, token = time.perf_counter(), 0, ""
    while True:
        query = {"labelSelector": SELECTOR, "limit": "500", **({"continue": token} if token
                                                                 else {})}
        url = f"{api}/api/v1/namespaces/{NAMESPACE}/pods?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {bearer}"})
        with urllib.request.urlopen(request, timeout=600) as response:
            body = response.read()
        pages += 1
        # The continue token sits in the list's metadata, before the items.
        head = body[:400].decode("utf-8", "replace")
        marker = '"continue":"'
        token = head.split(marker, 1)[1].split('"', 1)[0] if marker in head else ""
        if not token:
            return time.perf_counter() - started, pages


def kubectl_list(kubectl: str, kubeconfig: str, cache: Path) -> tuple[float, int]:
    """One `kubectl get pods -o json`, fetched and parsed."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cache.parent),
           "KUBECONFIG": kubeconfig}
    started = time.perf_counter()
    out = subprocess.run([kubectl, "--cache-dir", str(cache), "--request-timeout=20m", "get",
                          "pods", "-n", NAMESPACE, "-l", SELECTOR, "-o", "json"],
                         capture_output=True, env=env, check=True, timeout=1800).stdout
    count = len(json.loads(out)["items"])
    return time.perf_counter() - started, count


def main() -> int:
    """Start the 50k drill, measure everything, report."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print(json.dumps({"error": "kubectl not found"}))
        return 1
    folder = Path(tempfile.mkdtemp(prefix="bench-reflector-"))
    try:
        with drill_process(folder, write_scenario(folder)) as info:
            kubeconfig = info["kubeconfig"]
            server_s, pages = raw_pages(info["api"], kubeconfig)
            # Interleaved, so a busy spell on a shared machine does not favour either side.
            first_s, kubectl_pods = kubectl_list(kubectl, kubeconfig, folder / "kube-cache")
            timed = [run_child("time", kubeconfig) for _ in range(RUNS)]
            second_s, _ = kubectl_list(kubectl, kubeconfig, folder / "kube-cache-2")
            kubectl_s = (first_s + second_s) / 2
            memory = run_child("memory", kubeconfig)
            watch = run_child("watch", kubeconfig)
            drill_start_s = info["start_s"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    list_s = statistics.median(t["listed_s"] for t in timed)
    ratio = list_s / kubectl_s
    peak_rss = max(m["peak_rss_mb"] for m in [*timed, memory])
    counts = {kubectl_pods, memory["rows"], *(t["rows"] for t in timed), watch["rows"],
              watch["rows_after"]}
    ok = (ratio <= TIME_TARGET and memory["traced_peak_mb"] < MEMORY_TARGET_MB
          and peak_rss < MEMORY_TARGET_MB and watch["apply_median_ms"] < APPLY_TARGET_MS
          and counts == {PODS})
    print(json.dumps({
        "pods": PODS,
        "drill": {"start_s": round(drill_start_s, 1), "raw_pages_s": round(server_s, 2),
                  "pages": pages},
        "list": {"reflector_median_s": round(list_s, 2),
                 "reflector_runs_s": [round(t["listed_s"], 2) for t in timed],
                 "server_answer_s": [round(t["page_wait_s"], 2) for t in timed],
                 "server_answer_median_ms": [round(t["page_wait_median_ms"], 1) for t in timed],
                 "server_answer_max_ms": [round(t["page_wait_max_ms"]) for t in timed],
                 "kubectl_get_pods_o_json_s": round(kubectl_s, 2),
                 "kubectl_runs_s": [round(first_s, 2), round(second_s, 2)],
                 "ratio": round(ratio, 3), "target": TIME_TARGET},
        "memory": {"traced_peak_mb": round(memory["traced_peak_mb"], 1),
                   "traced_held_mb": round(memory["traced_held_mb"], 1),
                   "peak_rss_mb": round(peak_rss, 1),
                   "rss_before_listing_mb": round(memory["baseline_rss_mb"], 1),
                   "target_mb": MEMORY_TARGET_MB},
        "watch": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in watch.items()
                  if k not in ("listed_s", "peak_rss_mb", "baseline_rss_mb")}
        | {"target_median_ms": APPLY_TARGET_MS},
        "counts": {"kubectl": kubectl_pods, "reflector": memory["rows"]},
        "ok": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit(main())
