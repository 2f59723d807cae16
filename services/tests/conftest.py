"""fake-gcs-server (github.com/fsouza/fake-gcs-server), started on loopback for the tests that need a real
storage API, and a google-cloud-storage client pointed at it.

The binary comes from $FAKE_GCS_SERVER, else `fake-gcs-server` on PATH, else /tmp/gobin. .ci/run builds
it and sets REQUIRE_GCS_EMULATOR=1, which turns a missing binary into a failure instead of a skip.
"""

import os
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest


def emulator_binary():
    for candidate in (os.environ.get("FAKE_GCS_SERVER"), shutil.which("fake-gcs-server"), "/tmp/gobin/fake-gcs-server"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory):
    binary = emulator_binary()
    if binary is None:
        reason = "fake-gcs-server not found (set FAKE_GCS_SERVER; .ci/run builds it)"
        if os.environ.get("REQUIRE_GCS_EMULATOR") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path_factory.mktemp("fake-gcs") / "server.log", "w+")
    server = subprocess.Popen([binary, "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
                               "-public-host", f"127.0.0.1:{port}", "-external-url", url, "-backend", "memory",
                               "-log-level", "error"], stdout=log, stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/storage/v1/b", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > end:
                    log.seek(0)
                    pytest.fail(f"fake-gcs-server did not start: {log.read()[-2000:]}")
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def gcs(gcs_emulator, monkeypatch):
    """A real google-cloud-storage client on the emulator, with fresh buckets models, predictions and data."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    client = storage.Client(project="test", credentials=AnonymousCredentials())
    suffix = f"{time.monotonic_ns()}"
    names = {}
    for name in ("models", "predictions", "data"):
        bucket = client.bucket(f"{name}-{suffix}")
        client.create_bucket(bucket)
        names[name] = bucket.name
    client.test_buckets = names
    return client
