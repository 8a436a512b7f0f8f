"""5,000 pods on the drill cluster: a raw-JSON list through the official Python client against
`kubectl get pods -o json`, in the same run against the same server.

Prints JSON with both median times and the ratio (target ≤ 0.25); exit 1 if it is missed.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
TARGET = 0.25


def main() -> int:
    """Start the scale scenario, time both clients, report."""
    import kubernetes

    from tui.drill.cluster import DrillCluster
    from tui.drill.scenario import find_scenario

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print(json.dumps({"error": "kubectl not found"}))
        return 1
    folder = Path(tempfile.mkdtemp(prefix="bench-drill-"))
    with DrillCluster(find_scenario("scale-5000"), folder=folder, speed=20) as cluster:
        info = cluster.info()
        api = kubernetes.client.CoreV1Api(
            kubernetes.config.new_client_from_config(config_file=info.kubeconfig))
        env = {**os.environ, "KUBECONFIG": info.kubeconfig}
        argv = [kubectl, "--cache-dir", str(folder / "kc"), "get", "pods", "-n", "production",
                "-o", "json"]
        subprocess.run(argv, capture_output=True, env=env, check=True)  # warm the cache

        def python_list() -> int:
            gc.disable()
            try:
                response = api.list_namespaced_pod("production", _preload_content=False)
                items = json.loads(response.data)["items"]
            finally:
                gc.enable()
            return len(items)

        def kubectl_list() -> int:
            out = subprocess.run(argv, capture_output=True, env=env, check=True).stdout
            return len(json.loads(out)["items"])

        results = {}
        for name, fn in (("python_raw_json", python_list), ("kubectl_o_json", kubectl_list)):
            samples, count = [], 0
            for _ in range(RUNS):
                start = time.perf_counter()
                count = fn()
                samples.append(time.perf_counter() - start)
            results[name] = {"median_s": round(statistics.median(samples), 4), "pods": count}
    ratio = results["python_raw_json"]["median_s"] / results["kubectl_o_json"]["median_s"]
    ok = ratio <= TARGET and results["python_raw_json"]["pods"] == 5000
    print(json.dumps({**results, "ratio": round(ratio, 3), "target": TARGET, "ok": ok},
                     indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
