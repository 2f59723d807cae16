"""The real server (uvicorn) flushes every queued prediction record when Cloud Run sends SIGTERM."""

import json
import multiprocessing
import os
import signal
import socket
import time
import urllib.request

from backend_fixtures import settings, storage_with_model

N = 40


def serve(port, out_dir):
    import uvicorn

    from server import create_app

    storage = storage_with_model(delay=0.05)
    original = storage.create

    def create_and_copy(bucket, name, data, content_type, timeout=None):  # the child's objects, for the test
        original(bucket, name, data, content_type, timeout=timeout)
        with open(os.path.join(out_dir, name.replace("/", "_")), "wb") as f:
            f.write(data)

    storage.create = create_and_copy
    app = create_app(storage, settings())
    app.state.log.interval = 3600  # nothing is written before SIGTERM
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def call(port, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def test_sigterm_writes_every_queued_record(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    child = multiprocessing.get_context("fork").Process(target=serve, args=(port, str(tmp_path)))
    child.start()
    try:
        for _ in range(100):
            try:
                if call(port, "/ready") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        for _ in range(N):
            assert call(port, "/predict", {"features": [[5.1, 3.5, 1.4, 0.2]]}) == 200
        assert not os.listdir(tmp_path)
        start = time.monotonic()
        os.kill(child.pid, signal.SIGTERM)
        child.join(10)
        # uvicorn >= 0.29 re-raises the signal after a graceful shutdown: -SIGTERM is the clean exit
        assert child.exitcode in (0, -signal.SIGTERM) and time.monotonic() - start < 10
    finally:
        if child.is_alive():
            child.kill()
    lines = [l for f in tmp_path.iterdir() for l in f.read_text().splitlines()]
    assert len(lines) == N
