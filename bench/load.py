"""A small load tool, run as its own process: `python -m bench.load SPEC.json`.

The spec names the URL, the method, the headers, the bodies (sent in turn), the number of
requests and of threads. Each thread keeps one HTTP connection open (keep-alive), as a
client of the API would. It prints one JSON object: every request's latency in
milliseconds, the wall time, and the count of each status code."""

import itertools
import json
import sys
import threading
import time
from collections import Counter
from http.client import HTTPConnection
from urllib.parse import urlsplit


def run(spec):
    target = urlsplit(spec["url"])
    bodies = itertools.cycle(spec.get("bodies") or [None])
    lock = threading.Lock()
    left = [spec["requests"]]
    latencies, statuses = [], Counter()

    def take():
        with lock:
            if left[0] <= 0:
                return False, None
            left[0] -= 1
            return True, next(bodies)

    def worker():
        connection = HTTPConnection(target.hostname, target.port, timeout=60)
        path = target.path + (f"?{target.query}" if target.query else "")
        while True:
            more, body = take()
            if not more:
                break
            headers = dict(spec.get("headers", {}))
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            start = time.perf_counter()
            connection.request(spec.get("method", "GET"), path, body=payload, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[response.status] += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = HTTPConnection(target.hostname, target.port, timeout=60)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(spec.get("concurrency", 4))]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "latencies_ms": latencies,
        "wall_s": time.perf_counter() - start,
        "statuses": {str(code): count for code, count in statuses.items()},
    }


if __name__ == "__main__":
    with open(sys.argv[1]) as spec_file:
        print(json.dumps(run(json.load(spec_file))))
