import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import client

calls = []


class Handler(BaseHTTPRequestHandler):
    """Plays both the metadata server (GET /identity) and the backend (POST /predict)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        calls.append(("GET", self.path, dict(self.headers)))
        ok = self.headers.get("Metadata-Flavor") == "Google"
        self._answer(200 if ok else 403, b"token-for-audience" if ok else b"missing header")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        calls.append(("POST", self.path, dict(self.headers)))
        if self.server.require_token and self.headers.get("Authorization") != "Bearer token-for-audience":
            return self._answer(403, b"Forbidden")
        self._answer(200, json.dumps({"predictions": ["setosa"] * len(body["features"])}).encode())

    def _answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    calls.clear()
    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    httpd.require_token = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_sends_an_id_token_for_the_backend_url(server):
    _, url = server
    ok, label = client.predict(url + "/", [[5.1, 3.5, 1.4, 0.2]], metadata_url=f"{url}/identity")
    assert (ok, label) == (True, "setosa")
    get, post = calls
    assert get[1] == "/identity?audience=" + url.replace(":", "%3A").replace("/", "%2F")
    assert get[2]["Metadata-Flavor"] == "Google"
    assert post[2]["Authorization"] == "Bearer token-for-audience"


def test_without_metadata_server_calls_without_token(server):
    httpd, url = server
    httpd.require_token = False
    ok, label = client.predict(url, [[1, 2, 3, 4]], metadata_url="http://127.0.0.1:9/identity")
    assert ok and label == "setosa"
    assert "Authorization" not in calls[-1][2]


def test_refused_token_gives_a_hint(server):
    _, url = server
    ok, message = client.predict(url, [[1, 2, 3, 4]], metadata_url="http://127.0.0.1:9/identity")
    assert not ok and "403" in message and "invoke" in message


def test_unreachable_backend_is_a_message():
    ok, message = client.predict("http://127.0.0.1:9", [[1, 2, 3, 4]], metadata_url="http://127.0.0.1:9/x")
    assert not ok and message.startswith("Could not reach the model API")
