"""5,000 pods listed from the drill's API server: the project's list path against the floor.

Measured: a GET of every pod in the namespace (`kubectl get pods -o json` asks the same, as JSON)
over one keep-alive connection, from the request to the last byte read, on the scale-5000
scenario. What is timed is the drill's code: routing, the store's listing, encoding, chunking
and sending. No client parses anything.

Baselines, in the same run and alternated with the drill:
- encoding: a server that holds the same list as Python objects and answers with `json.dumps` of
  it in one write — how a plain Python fake of an API server answers. The drill keeps each
  object's encoded bytes, so it must answer in at most TARGET_RATIO of this one's time.
- floor: a server that already holds the answer's bytes and sends them in one write (what moving
  the bytes costs), reported for scale.
Prints JSON; exit 1 if the target is missed or the answer does not hold 5,000 pods.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_drill_http import BaselineServer

RUNS = 15
PODS = 5000
TARGET_RATIO = 0.75
PATH = "/api/v1/namespaces/production/pods"


def timed_gets(port: int, auth: dict[str, str]) -> tuple[list[float], bytes]:
    """Wall seconds of RUNS GETs of PATH on one connection (after one warm-up), and the body.

    `auth` (the drill's bearer token) is sent to the baselines too: the same request bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    samples: list[float] = []
    body = b""
    try:
        for index in range(RUNS + 1):
            start = time.perf_counter()
            connection.request("GET", PATH, headers={"Accept": "application/json", **auth})
            response = connection.getresponse()
            body = response.read()
            if index:
                samples.append(time.perf_counter() - start)
            if response.status != 200:
                raise RuntimeError(f"GET {PATH}: {response.status}")
    finally:
        connection.close()
    return samples, body


def main() -> int:
    """Start the scale scenario, time its list and the one-write baseline alternately."""
    from tui.drill.cluster import DrillCluster
    from tui.drill.scenario import find_scenario

    folder = Path(tempfile.mkdtemp(prefix="bench-drill-list-"))
    with DrillCluster(find_scenario("scale-5000"), folder=folder, speed=20) as cluster:
        port = cluster.server.server_address[1]
        auth = {"Authorization": f"Bearer {cluster.token}"}
        drill: list[float] = []
        base: list[float] = []
        encoding: list[float] = []
        _, body = timed_gets(port, auth)
        document = json.loads(body)
        floor = BaselineServer(body)
        encoder = BaselineServer(b"", answer=lambda: json.dumps(
            document, separators=(",", ":")).encode())
        try:
            for _ in range(3):  # alternated, so that all meet the same load
                drill += timed_gets(port, auth)[0]
                encoding += timed_gets(encoder.port, auth)[0]
                base += timed_gets(floor.port, auth)[0]
        finally:
            floor.close()
            encoder.close()
    pods = len(document["items"])
    drill_s, encode_s = statistics.median(drill), statistics.median(encoding)
    base_s = statistics.median(base)
    ratio = drill_s / encode_s
    ok = ratio <= TARGET_RATIO and pods == PODS
    print(json.dumps({
        "pods": pods, "bytes": len(body),
        "drill_list_median_ms": round(drill_s * 1000, 2),
        "baseline_json_dumps_median_ms": round(encode_s * 1000, 2),
        "floor_one_write_median_ms": round(base_s * 1000, 2),
        "ratio_to_json_dumps": round(ratio, 3), "ratio_to_floor": round(drill_s / base_s, 2),
        "target_ratio": TARGET_RATIO, "ok": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
