"""What the drill's simulation costs at 5,000 and 50,000 pods, idle and during a rollout.

Each size runs in a fresh child process as `rollback drill SCENARIO --serve` runs it (the cluster
started, its start-up objects frozen out of the cyclic GC), with the scale-5000 scenario at that
size. Measured in one run:

- idle: the process's CPU time over IDLE_SECONDS of wall time, and the ticker's own CPU time per
  tick (thread CPU time of the controllers' and traffic's work). Target: the 50,000-pod drill
  costs at most TARGET_RATIO times the 5,000-pod one, on both measures.
- rollout: a new image PATCHed over HTTP, then every tick until the Deployment is rolled out:
  ticker CPU per tick (median, p95, max), pods changed per tick, CPU per pod change.
- answers: how long a GET of the Deployment takes over a keep-alive connection, idle and while
  the rollout runs (the HTTP threads share the GIL and the store with the ticker).

Prints JSON; exits 1 if a target is missed.
"""

from __future__ import annotations

import gc
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Self

SIZES = (5_000, 50_000)
IDLE_SECONDS = 8.0
SETTLE_SECONDS = 2.0
ROLLOUT_LIMIT_SECONDS = 300.0
TARGET_RATIO = 2.0
NAMESPACE, DEPLOYMENT = "production", "fleet"
DEPLOYMENT_PATH = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{DEPLOYMENT}"


def scenario_file(folder: Path, pods: int) -> Path:
    """The scale-5000 scenario with `pods` replicas, as a scenario file."""
    from tui.drill.scenario import SCENARIO_DIR

    text = (SCENARIO_DIR / "scale-5000.yaml").read_text()
    text = text.replace("id: scale-5000", f"id: scale-{pods}").replace(
        "replicas: 5000", f"replicas: {pods}")
    path = folder / f"scale-{pods}.yaml"
    path.write_text(text)
    return path


class TickMeter:
    """Wraps the ticker's work: thread CPU seconds and pods changed, one record a tick."""

    def __init__(self, cluster: Any) -> None:
        self.records: list[tuple[float, float, int]] = []  # (wall start, cpu s, pod changes)
        self.pod_changes = 0
        cluster.store.add_listener(self._count)
        controllers_tick, traffic_tick = cluster.controllers.tick, cluster.traffic.tick

        def timed_controllers() -> None:
            started, cpu, changes = time.perf_counter(), time.thread_time(), self.pod_changes
            controllers_tick()
            self.records.append((started, time.thread_time() - cpu, self.pod_changes - changes))

        def timed_traffic(now: float) -> None:
            cpu, changes = time.thread_time(), self.pod_changes
            traffic_tick(now)
            if self.records:  # the same loop pass as the controllers' tick just recorded
                started, spent, changed = self.records[-1]
                self.records[-1] = (started, spent + time.thread_time() - cpu,
                                    changed + self.pod_changes - changes)

        # The ticker looks both up on every pass, so they can be wrapped while it runs.
        cluster.controllers.tick, cluster.traffic.tick = timed_controllers, timed_traffic

    def _count(self, event: Any) -> None:
        if event.resource == "pods":
            self.pod_changes += 1

    def since(self, start: float) -> list[tuple[float, float, int]]:
        """Records of ticks that started at or after `start` (perf_counter)."""
        return [r for r in list(self.records) if r[0] >= start]


class Pinger:
    """GETs the Deployment over one keep-alive connection, every `every` seconds, timing each."""

    def __init__(self, address: tuple[str, int], auth: dict[str, str], every: float = 0.05
                 ) -> None:
        self.address, self.auth, self.every = address, auth, every
        self.seconds: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        connection = http.client.HTTPConnection(*self.address, timeout=60)
        try:
            while not self._stop.is_set():
                started = time.perf_counter()
                connection.request("GET", DEPLOYMENT_PATH, headers=self.auth)
                response = connection.getresponse()
                response.read()
                self.seconds.append(time.perf_counter() - started)
                self._stop.wait(self.every)
        finally:
            connection.close()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


class GcPauses:
    """How long each full (generation 2) collection of the cyclic GC held the process."""

    def __init__(self) -> None:
        self.full: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._observe)

    def _observe(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.full.append(time.perf_counter() - self._started)

    def clear(self) -> None:
        """Forget the collections so far."""
        self.full.clear()


def _ms(values: list[float], q: float | None = None) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    value = statistics.median(ordered) if q is None else ordered[min(int(len(ordered) * q),
                                                                     len(ordered) - 1)]
    return round(value * 1000, 3)


def rolled_out(cluster: Any, pods: int) -> bool:
    """Whether every replica runs the new template and is available."""
    entry = cluster.store.get("deployments", NAMESPACE, DEPLOYMENT)
    status = entry.obj.get("status", {})
    return (status.get("observedGeneration") == entry.obj["metadata"].get("generation")
            and status.get("updatedReplicas") == pods and status.get("replicas") == pods
            and status.get("availableReplicas") == pods)


def patch_image(address: tuple[str, int], image: str, auth: dict[str, str]) -> None:
    """A new image for the Deployment, as `kubectl set image` sends it."""
    body = json.dumps({"spec": {"template": {"spec": {"containers": [
        {"name": DEPLOYMENT, "image": image}]}}}})
    connection = http.client.HTTPConnection(*address, timeout=60)
    try:
        connection.request("PATCH", DEPLOYMENT_PATH, body,
                           {"Content-Type": "application/strategic-merge-patch+json", **auth})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"PATCH {DEPLOYMENT_PATH} answered {response.status}")
    finally:
        connection.close()


def child(pods: int) -> None:
    """Run one drill of `pods` pods, measure it idle and rolling out; print one JSON line."""
    from tui.drill.cluster import DrillCluster
    from tui.drill.scenario import find_scenario

    folder = Path(tempfile.mkdtemp(prefix="bench-drill-tick-"))
    started = time.perf_counter()
    cluster = DrillCluster(find_scenario(str(scenario_file(folder, pods))), folder=folder,
                           speed=20)
    cluster.start()
    gc.freeze()  # as `rollback drill --serve` does once the cluster is up
    start_s = time.perf_counter() - started
    address = ("127.0.0.1", cluster.server.server_address[1])
    auth = {"Authorization": f"Bearer {cluster.token}"}
    meter = TickMeter(cluster)
    pauses = GcPauses()
    try:
        time.sleep(SETTLE_SECONDS)
        idle_from, cpu_before = time.perf_counter(), time.process_time()
        time.sleep(IDLE_SECONDS)
        idle_cpu = time.process_time() - cpu_before
        idle_wall = time.perf_counter() - idle_from
        idle = meter.since(idle_from)
        with Pinger(address, auth) as idle_answers:
            time.sleep(1.0)
        pauses.clear()
        rollout_from, cpu_before = time.perf_counter(), time.process_time()
        with Pinger(address, auth) as busy_answers:
            patch_image(address, "registry.drill.local/fleet:2.0.0", auth)
            deadline = time.monotonic() + ROLLOUT_LIMIT_SECONDS
            while not rolled_out(cluster, pods) and time.monotonic() < deadline:
                time.sleep(0.05)
        rollout_wall = time.perf_counter() - rollout_from
        rollout_cpu = time.process_time() - cpu_before
        busy = [r for r in meter.since(rollout_from) if r[2]]
        done = rolled_out(cluster, pods)
    finally:
        cluster.stop()
    changes = sum(r[2] for r in busy)
    print(json.dumps({
        "pods": pods, "start_s": round(start_s, 2),
        "idle": {"process_cpu_percent": round(idle_cpu / idle_wall * 100, 3),
                 "ticks": len(idle),
                 "tick_cpu_median_ms": _ms([r[1] for r in idle]),
                 "tick_cpu_mean_ms": round(sum(r[1] for r in idle) / max(len(idle), 1) * 1000,
                                           3),
                 "get_deployment_median_ms": _ms(idle_answers.seconds)},
        "rollout": {"done": done, "wall_s": round(rollout_wall, 2),
                    "process_cpu_s": round(rollout_cpu, 2),
                    "busy_ticks": len(busy), "pod_changes": changes,
                    "pod_changes_per_tick_median": statistics.median(r[2] for r in busy)
                    if busy else 0,
                    "tick_cpu_median_ms": _ms([r[1] for r in busy]),
                    "tick_cpu_p95_ms": _ms([r[1] for r in busy], 0.95),
                    "tick_cpu_max_ms": _ms([r[1] for r in busy], 1.0),
                    "cpu_per_pod_change_us": round(sum(r[1] for r in busy) / changes * 1e6, 1)
                    if changes else None,
                    "get_deployment_median_ms": _ms(busy_answers.seconds),
                    "get_deployment_max_ms": _ms(busy_answers.seconds, 1.0),
                    "gc_full_collections": len(pauses.full),
                    "gc_full_collection_max_ms": _ms(pauses.full, 1.0)}}))


def main() -> int:
    """Measure every size in its own process; compare the idle costs."""
    results = {}
    for pods in SIZES:
        done = subprocess.run([sys.executable, __file__, "--child", str(pods)],
                              capture_output=True, text=True, timeout=1800, check=True)
        results[pods] = json.loads(done.stdout.splitlines()[-1])
    small, large = (results[p]["idle"] for p in SIZES)
    cpu_ratio = large["process_cpu_percent"] / max(small["process_cpu_percent"], 1e-9)
    tick_ratio = large["tick_cpu_mean_ms"] / max(small["tick_cpu_mean_ms"], 1e-9)
    ok = (cpu_ratio <= TARGET_RATIO and tick_ratio <= TARGET_RATIO
          and all(r["rollout"]["done"] for r in results.values()))
    print(json.dumps({
        "sizes": {str(p): results[p] for p in SIZES},
        "idle_ratio": {"process_cpu": round(cpu_ratio, 2), "tick_cpu": round(tick_ratio, 2),
                       "target": TARGET_RATIO},
        "ok": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
        sys.exit(0)
    sys.exit(main())
