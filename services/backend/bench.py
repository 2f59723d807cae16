"""Benchmark (not a test): the backend over loopback with prediction logging on and a fake GCS that
spends 50 ms on every write. Reports requests/s, p50 and p99.

    /usr/bin/python3 services/backend/bench.py --seconds 10 --connections 16 --cpus 2

The server (uvicorn, one process) and this client share the CPUs given by --cpus.
"""

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import signal
import socket
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE), os.path.join(HERE, "tests")]

BODY = json.dumps({"features": [[5.1, 3.5, 1.4, 0.2]]}).encode()


def serve(port: int, delay: float, bucket, server_args: dict) -> None:
    import uvicorn

    from backend_fixtures import settings, storage_with_model
    from server import create_app

    app = create_app(storage_with_model(delay=delay), settings(log_queue=10000, predictions_bucket=bucket))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, **server_args)


async def worker(port: int, until: float, latencies: list, errors: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (b"POST /predict HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
    while time.monotonic() < until:
        start = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - start)
        if not head.startswith(b"HTTP/1.1 200"):
            errors.append(head.split(b"\r\n")[0])
    writer.close()


async def load(port: int, seconds: float, connections: int):
    latencies, errors = [], []
    until = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(worker(port, until, latencies, errors) for _ in range(connections)))
    return latencies, errors, time.monotonic() - started


def wait_ready(port: int, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("backend did not become ready")


def log_counts(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
        lines = r.read().decode().splitlines()
    return {l.split(" ")[0]: float(l.split(" ")[1]) for l in lines if l.startswith("backend_prediction_log_")
            and not l.startswith("backend_prediction_log_written_created")}


def main() -> None:
    gc.disable()  # the load generator's own GC pauses would show up as server latency
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--cpus", type=int, default=2, help="pin server and client to the first N CPUs")
    parser.add_argument("--no-log", action="store_true", help="prediction logging off, for comparison")
    parser.add_argument("--http", default="auto", help="uvicorn --http: auto (httptools when installed) or h11")
    parser.add_argument("--loop", default="auto", help="uvicorn --loop: auto (uvloop when installed) or asyncio")
    parser.add_argument("--write-delay", type=float, default=0.05, help="seconds per fake GCS write")
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))[: args.cpus]
    os.sched_setaffinity(0, cpus)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = multiprocessing.get_context("fork").Process(target=serve, args=(port, args.write_delay, None if args.no_log else "predictions",
                                                                              {"http": args.http, "loop": args.loop}))
    server.start()
    try:
        wait_ready(port)
        asyncio.run(load(port, 1.0, args.connections))  # warm-up
        latencies, errors, elapsed = asyncio.run(load(port, args.seconds, args.connections))
        time.sleep(2.5)  # one flush interval of the prediction log
        counts = log_counts(port)
    finally:
        start = time.monotonic()
        os.kill(server.pid, signal.SIGTERM)
        server.join(15)
        shutdown = time.monotonic() - start
    latencies.sort()
    n = len(latencies)
    print(f"cpus={cpus} connections={args.connections} logging={'off' if args.no_log else 'on'} http={args.http} loop={args.loop} seconds={args.seconds} fake GCS write={args.write_delay * 1000:.0f} ms")
    print(f"requests={n} errors={len(errors)} req/s={n / elapsed:.0f} "
          f"p50={latencies[n // 2] * 1000:.2f} ms p99={latencies[int(n * 0.99)] * 1000:.2f} ms")
    print(f"prediction log after the run: {counts}; SIGTERM to exit: {shutdown:.2f} s")


if __name__ == "__main__":
    main()
