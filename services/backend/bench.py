"""Benchmark (not a test) of what the image runs: the Dockerfile's CMD (`uvicorn server:app`, one worker, gc on,
its access-log setting) started as its own process, with the real google-cloud-storage client writing the
prediction log to fake-gcs-server on loopback. For 8, 16 and 80 connections, with the prediction log on and
off (and uvicorn's access log switched the other way, to compare), it prints requests/s, p50, p99 and the server's CPU time
per request. About 1 minute.

    python services/backend/bench.py                   # FAKE_GCS_SERVER or fake-gcs-server on PATH
    python services/backend/bench.py --seconds 5 --connections 8 80

The only differences from the image: 127.0.0.1 instead of 0.0.0.0 (loopback only), and this machine's Python.
The client (asyncio, keep-alive, in this process) shares the machine's CPUs with the server.
"""

import argparse
import asyncio
import gc
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICES = os.path.dirname(HERE)
BODY = json.dumps({"features": [[5.1, 3.5, 1.4, 0.2]]}).encode()
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer 200 within {timeout:.0f} s")


def cmd_of_dockerfile() -> list:
    """The CMD of services/backend/Dockerfile, with the loopback address and a port of ours."""
    with open(os.path.join(HERE, "Dockerfile")) as f:
        line = [l for l in f if l.startswith("CMD ")][-1]
    words = line.split()[1:]
    if words[0] == "exec":
        words = words[1:]
    assert words[:2] == ["uvicorn", "server:app"], f"unexpected CMD: {line}"
    return words


def start_emulator() -> tuple:
    binary = os.environ.get("FAKE_GCS_SERVER") or shutil.which("fake-gcs-server") or "/tmp/gobin/fake-gcs-server"
    if not os.access(binary, os.X_OK):
        raise SystemExit("fake-gcs-server not found: set FAKE_GCS_SERVER (services/tests/conftest.py)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([binary, "-scheme", "http", "-host", "127.0.0.1", "-port", str(port), "-public-host",
                             f"127.0.0.1:{port}", "-backend", "memory", "-log-level", "error"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"{url}/storage/v1/b")
    return proc, url


def publish_model(emulator: str) -> None:
    """Buckets and a model as the trainer leaves them (the trainer's own code, into the emulator)."""
    sys.path[:0] = [SERVICES, os.path.join(SERVICES, "trainer")]
    os.environ["STORAGE_EMULATOR_HOST"] = emulator
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from common.storage import GcsStorage
    import train

    client = storage.Client(project="bench", credentials=AnonymousCredentials())
    for name in ("models", "predictions"):
        client.create_bucket(name)
    os.environ["MODELS_BUCKET"] = "models"
    out = sys.stdout
    sys.stdout = io.StringIO()
    try:
        train.main(GcsStorage(client))
    finally:
        sys.stdout = out


def start_server(emulator: str, logging_on: bool, access_log: bool) -> tuple:
    port = free_port()
    words = cmd_of_dockerfile()
    args = [a.replace("0.0.0.0", "127.0.0.1").replace("${PORT:-8080}", str(port)) for a in words]
    if access_log != ("--no-access-log" not in args):  # the comparison row; the image's rows run the CMD as is
        args = [a for a in args if a not in ("--access-log", "--no-access-log")]
        args.append("--access-log" if access_log else "--no-access-log")
    env = {**os.environ, "STORAGE_EMULATOR_HOST": emulator, "MODELS_BUCKET": "models", "PORT": str(port),
           "PYTHONPATH": SERVICES, "PYTHONUNBUFFERED": "1"}
    if logging_on:
        env["PREDICTIONS_BUCKET"] = "predictions"
    else:
        env.pop("PREDICTIONS_BUCKET", None)
    uvicorn = os.path.join(os.path.dirname(sys.executable), "uvicorn")
    proc = subprocess.Popen([uvicorn, *args[1:]], cwd=HERE, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # uvicorn's log, if any, is not kept
    wait_for(f"http://127.0.0.1:{port}/ready")
    return proc, port


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


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
    started = time.monotonic()
    await asyncio.gather(*(worker(port, started + seconds, latencies, errors) for _ in range(connections)))
    return latencies, errors, time.monotonic() - started


def stop(proc) -> float:
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per row (after 1 s warm-up)")
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 16, 80])
    args = parser.parse_args()
    gc.disable()  # the client's own collections only; the server is another process with gc on
    emulator, url = start_emulator()
    try:
        publish_model(url)
        print(f"server: {' '.join(cmd_of_dockerfile())} (127.0.0.1), google-cloud-storage -> fake-gcs-server; "
              f"{os.cpu_count()} CPUs shared with the client")
        image_logs = "--no-access-log" not in cmd_of_dockerfile()
        print("| connections | prediction log | access log | req/s | p50 ms | p99 ms | server CPU ms/request | errors |")
        print("|---:|---|---|---:|---:|---:|---:|---:|")
        exits = []
        # The image's CMD with the prediction log on and off; then uvicorn's access log the other way, to compare.
        for logging_on, access_log in ((True, image_logs), (False, image_logs), (True, not image_logs)):
            server, port = start_server(url, logging_on, access_log)
            try:
                for connections in args.connections:
                    asyncio.run(load(port, 1.0, connections))  # warm-up
                    cpu = cpu_seconds(server.pid)
                    latencies, errors, elapsed = asyncio.run(load(port, args.seconds, connections))
                    cpu = cpu_seconds(server.pid) - cpu
                    latencies.sort()
                    n = len(latencies)
                    print(f"| {connections} | {'on' if logging_on else 'off'} | "
                          f"{'on' if access_log else 'off'}{'' if access_log == image_logs else ' (not the image)'} | "
                          f"{n / elapsed:.0f} | {latencies[n // 2] * 1000:.1f} | {latencies[int(n * 0.99)] * 1000:.1f} | "
                          f"{cpu * 1000 / n:.2f} | {len(errors)} |", flush=True)
            finally:
                exits.append(stop(server))
        print(f"SIGTERM to exit (queue flushed): {', '.join(f'{e:.2f} s' for e in exits)}")
    finally:
        stop(emulator)
    return 0


if __name__ == "__main__":
    sys.exit(main())
