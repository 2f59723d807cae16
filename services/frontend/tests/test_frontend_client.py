"""The frontend's calls to the backend: an ID token from the metadata server through google-auth, for the
backend's origin, cached until it expires; and the page itself in Streamlit's own harness (AppTest)."""

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

import client

APP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")


def jwt(audience, lifetime):
    """An unsigned token shaped like Google's ID tokens (google-auth reads `exp` without verifying)."""
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    now = int(time.time())
    return ".".join([part({"alg": "RS256", "typ": "JWT"}), part({"aud": audience, "iat": now, "exp": now + lifetime}),
                     base64.urlsafe_b64encode(b"signature").rstrip(b"=").decode()])


class Handler(BaseHTTPRequestHandler):
    """Plays the metadata server (GET) and the backend (POST /predict), and records what it was asked."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        url = urlsplit(self.path)
        server.calls.append(("GET", url.path, parse_qs(url.query), dict(self.headers)))
        if self.headers.get("Metadata-Flavor") != "Google":
            return self._answer(403, b"missing Metadata-Flavor")
        if url.path.endswith("/instance/service-accounts/default/identity"):
            if server.identity_status != 200:
                return self._answer(server.identity_status, b"identity service unavailable")
            return self._answer(200, jwt(parse_qs(url.query)["audience"][0], server.lifetime).encode())
        if url.path.endswith("/instance/service-accounts/default/"):  # google-auth asks for the account first
            return self._answer(200, json.dumps({"email": "frontend@p.iam.gserviceaccount.com",
                                                 "aliases": ["default"], "scopes": []}).encode(), "application/json")
        self._answer(200, b"ok")  # google-auth's ping of the metadata server's root

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append(("POST", self.path, None, dict(self.headers)))
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if self.server.require_token and token.count(".") != 2:
            return self._answer(403, b'{"detail": "Forbidden"}')
        self._answer(200, json.dumps({"predictions": ["setosa"] * len(body["features"])}).encode())

    def _answer(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Metadata-Flavor", "Google")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server(monkeypatch):
    from google.auth.compute_engine import _metadata

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    httpd.calls, httpd.require_token, httpd.identity_status, httpd.lifetime = [], True, 200, 3600
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{httpd.server_port}"
    monkeypatch.setattr(_metadata, "_GCE_METADATA_HOST", host)  # read at import; the IP at each ping
    monkeypatch.setenv("GCE_METADATA_IP", host)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("K_SERVICE", "frontend")
    monkeypatch.setattr(client, "_tokens", {})
    yield httpd, f"http://{host}"
    httpd.shutdown()
    httpd.server_close()


def identity_calls(httpd):
    return [c for c in httpd.calls if c[1].endswith("/identity")]


def test_sends_an_id_token_whose_audience_is_the_backend_origin(server):
    httpd, url = server
    assert client.predict(url + "/api/", [[5.1, 3.5, 1.4, 0.2]]) == (True, "setosa")
    (call,) = identity_calls(httpd)
    assert call[2]["audience"] == [url]  # the origin: no path, no trailing slash
    post = [c for c in httpd.calls if c[0] == "POST"][0]
    assert post[1] == "/api/predict" and post[3]["Authorization"].startswith("Bearer ey")


def test_the_token_is_reused_until_it_expires(server):
    httpd, url = server
    for _ in range(3):
        assert client.predict(url, [[5.1, 3.5, 1.4, 0.2]])[0]
    assert len(identity_calls(httpd)) == 1


def test_a_token_about_to_expire_is_fetched_again(server):
    httpd, url = server
    httpd.lifetime = 30  # inside google-auth's refresh margin: not valid any more
    for _ in range(2):
        assert client.predict(url, [[5.1, 3.5, 1.4, 0.2]])[0]
    assert len(identity_calls(httpd)) == 2


def test_a_metadata_failure_is_a_clear_error_and_no_call(server):
    httpd, url = server
    httpd.identity_status = 404
    ok, message = client.predict(url, [[5.1, 3.5, 1.4, 0.2]])
    assert not ok and f"could not get an ID token for {url} from the metadata server" in message
    assert "403" not in message and not [c for c in httpd.calls if c[0] == "POST"]


def test_no_metadata_server_on_cloud_run_is_a_clear_error(server, monkeypatch):
    httpd, url = server
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    from google.auth.compute_engine import _metadata

    monkeypatch.setattr(_metadata, "_GCE_METADATA_HOST", "127.0.0.1:9")
    ok, message = client.predict(url, [[5.1, 3.5, 1.4, 0.2]], timeout=5)
    assert not ok and "could not get an ID token" in message and "DefaultCredentialsError" in message


def test_off_cloud_run_calls_without_a_token(server, monkeypatch):
    httpd, url = server
    monkeypatch.delenv("K_SERVICE")
    httpd.require_token = False
    assert client.predict(url, [[5.1, 3.5, 1.4, 0.2]]) == (True, "setosa")
    assert not identity_calls(httpd) and "Authorization" not in httpd.calls[-1][3]


def test_refused_token_gives_a_hint(server, monkeypatch):
    httpd, url = server
    monkeypatch.setattr(client.IdTokens, "headers", lambda self: {"Authorization": "Bearer not-a-jwt"})
    ok, message = client.predict(url, [[1, 2, 3, 4]])
    assert not ok and "403" in message and "allowed to invoke" in message


def test_unreachable_backend_is_a_message():
    ok, message = client.predict("http://127.0.0.1:9", [[1, 2, 3, 4]], timeout=2, on_cloud_run=False)
    assert not ok and "Could not reach the model API" in message


def test_a_backend_url_that_is_not_http_is_a_message():
    ok, message = client.predict("backend.internal", [[1, 2, 3, 4]], on_cloud_run=False)
    assert not ok and "BACKEND_URL='backend.internal' is not an http(s) URL" in message


def test_the_page_predicts_through_the_backend(server, monkeypatch):
    from streamlit.testing.v1 import AppTest

    httpd, url = server
    monkeypatch.setenv("BACKEND_URL", url)
    page = AppTest.from_file(APP, default_timeout=30).run()
    assert not page.exception and page.caption[0].value == f"Model API: {url}"
    assert [n.label for n in page.number_input][:2] == ["sepal length (cm)", "sepal width (cm)"]
    page.number_input[2].set_value(1.5)
    page.button[0].click().run()
    assert page.success[0].value == "Predicted class: **setosa**"
    post = [c for c in httpd.calls if c[0] == "POST"]
    assert len(post) == 1 and len(identity_calls(httpd)) == 1


def test_the_page_shows_a_metadata_failure(server, monkeypatch):
    from streamlit.testing.v1 import AppTest

    httpd, url = server
    httpd.identity_status = 404
    monkeypatch.setenv("BACKEND_URL", url)
    page = AppTest.from_file(APP, default_timeout=30).run()
    page.button[0].click().run()
    assert "could not get an ID token" in page.error[0].value and not page.success


def test_the_page_without_backend_url_says_so(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("BACKEND_URL", raising=False)
    page = AppTest.from_file(APP, default_timeout=30).run()
    assert "BACKEND_URL is not set" in page.error[0].value and page.button[0].disabled
