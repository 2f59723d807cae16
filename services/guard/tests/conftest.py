"""The guard under test: its real client libraries (google-cloud-batch, google-cloud-run, google-auth's
AuthorizedSession, google-cloud-storage) pointed through the GUARD_*_ENDPOINT overrides at loopback fakes of
Batch, Vertex AI and Cloud Run (fakes.py) and at fake-gcs-server for the record; push tokens signed with a local
RSA key whose certificate the fake serves as Google's certificate endpoint does.

fake-gcs-server comes from $FAKE_GCS_SERVER, else `fake-gcs-server` on PATH (services/ci.sh builds it and sets
REQUIRE_GCS_EMULATOR=1, which turns a missing binary into a failure instead of a skip). The guard's folder is its
own build context, so this does not share services/tests/conftest.py."""

import base64
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fakes import FakeGoogle  # noqa: E402

PROJECT, REGION = "course-group-7", "europe-west1"
BUDGET_ID, BILLING = "4f1c2d9e-7a6b-4c3d-9e8f-0a1b2c3d4e5f", "012345-6789AB-CDEF01"
AUDIENCE = "https://guard-123456789.europe-west1.run.app/"
PUSH_ACCOUNT = f"group-7-guard-push@{PROJECT}.iam.gserviceaccount.com"
LABELS = {"group": "group-7", "stack": "dev"}
PARENT = f"projects/{PROJECT}/locations/{REGION}"
# December 2026's budget period (midnight Pacific Time is 08:00 UTC in winter) and a moment inside it.
DECEMBER = "2026-12-01T08:00:00Z"
MID_DECEMBER = datetime.datetime(2026, 12, 15, 12, tzinfo=datetime.timezone.utc).timestamp()


def emulator_binary():
    for candidate in (os.environ.get("FAKE_GCS_SERVER"), shutil.which("fake-gcs-server")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory):
    binary = emulator_binary()
    if binary is None:
        reason = "fake-gcs-server not found (set FAKE_GCS_SERVER; services/ci.sh builds it)"
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


@pytest.fixture(scope="session")
def signing_key():
    """An RSA key and its self-signed X.509 certificate, as Google's v1 certificate endpoint serves them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    def make():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-certs.local")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        return private, cert.public_bytes(serialization.Encoding.PEM).decode()

    private, cert = make()
    other_private, _ = make()
    return {"kid": "test-key-1", "private": private, "cert": cert, "other_private": other_private}


def claims(**overrides):
    now = int(time.time())
    base = {"iss": "https://accounts.google.com", "aud": AUDIENCE, "azp": "1234567890", "sub": "1234567890",
            "email": PUSH_ACCOUNT, "email_verified": True, "iat": now, "exp": now + 3600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def token(signing_key):
    """token(**claim overrides, key="other" to sign with a key Google never published)."""
    from google.auth import crypt, jwt

    def make(key="own", **overrides):
        private = signing_key["private"] if key == "own" else signing_key["other_private"]
        signer = crypt.RSASigner.from_string(private, key_id=signing_key["kid"])
        return jwt.encode(signer, claims(**overrides)).decode()

    return make


def push_body(cost=60.0, amount=50.0, start=DECEMBER, budget_id=BUDGET_ID, billing=BILLING, message_id="1001",
              data=None, **fields):
    """A Pub/Sub push envelope of a budget notification in Google's documented format."""
    notification = {"budgetDisplayName": "mlops course-group-7", "costAmount": cost, "costIntervalStart": start,
                    "budgetAmount": amount, "budgetAmountType": "SPECIFIED_AMOUNT", "currencyCode": "EUR", **fields}
    if cost >= amount:
        notification["alertThresholdExceeded"] = 1.0
    raw = data if data is not None else base64.b64encode(json.dumps(notification).encode()).decode()
    return json.dumps({"message": {"attributes": {"billingAccountId": billing, "budgetId": budget_id,
                                                  "schemaVersion": "1.0"},
                                   "data": raw, "messageId": message_id, "message_id": message_id,
                                   "publishTime": "2026-12-15T11:58:01.123456789Z"},
                       "subscription": f"projects/{PROJECT}/subscriptions/group-7-credit-guard"}).encode()


@pytest.fixture
def google_fake(signing_key):
    fake = FakeGoogle()
    fake.state.certs = {signing_key["kid"]: signing_key["cert"]}
    yield fake
    fake.close()


@pytest.fixture
def make_guard(google_fake, gcs_emulator, monkeypatch):
    """make_guard(**env overrides, clock=...) -> (TestClient, fake state, storage bucket)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    from starlette.testclient import TestClient

    import guard
    import guard_config
    from compute import Compute

    made = []

    def make(clock=MID_DECEMBER, **env):
        bucket_name = f"models-{time.monotonic_ns()}"
        client = storage.Client(project="test", credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": gcs_emulator})
        bucket = client.create_bucket(bucket_name)
        values = {"GUARD_PROJECT": PROJECT, "GUARD_REGION": REGION, "GUARD_STOP_AT": "1",
                  "GUARD_BUDGET_ID": BUDGET_ID, "GUARD_BILLING_ACCOUNT": BILLING, "GUARD_LABELS": json.dumps(LABELS),
                  "GUARD_SERVICES": "backend,frontend,stranger", "GUARD_JOB_KINDS": "batch,vertex",
                  "GUARD_RECORD_BUCKET": bucket_name, "GUARD_ACKNOWLEDGED": "", "GUARD_PUSH_AUDIENCE": AUDIENCE,
                  "GUARD_PUSH_ACCOUNT": PUSH_ACCOUNT, "GUARD_BATCH_ENDPOINT": google_fake.url,
                  "GUARD_VERTEX_ENDPOINT": google_fake.url, "GUARD_RUN_ENDPOINT": google_fake.url,
                  "GUARD_STORAGE_ENDPOINT": gcs_emulator, "GUARD_CERTS_URL": f"{google_fake.url}/oauth2/v1/certs"}
        values.update(env)
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        settings = guard_config.load()
        app = guard.create_app(settings, Compute(settings, AnonymousCredentials()), clock=lambda: clock)
        test_client = TestClient(app, raise_server_exceptions=True)
        made.append(test_client)
        return test_client, google_fake.state, bucket

    yield make
    for test_client in made:
        test_client.close()


def events(capsys, name=None):
    """The guard's JSON log lines printed so far (and consumed)."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [line for line in lines if name is None or line["event"] == name]
