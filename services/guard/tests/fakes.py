"""A loopback server playing the parts of Google's APIs the guard calls, in their documented REST shapes:
Batch v1 (jobs list/delete), Vertex AI v1 (customJobs list/cancel), Cloud Run v2 (services get/delete), and
Google's OAuth2 certificate endpoint (PEM certificates by key id). It applies the documented list filters
(`labels.KEY="VALUE"` joined by AND) and refuses any other filter with 400, records every request, and can be told
to fail a request."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FILTER_TERM = re.compile(r'^labels\.([a-z][a-z0-9_-]*)="([a-z0-9_-]*)"$')


def parse_filter(text: str) -> dict | None:
    """The label equalities of a filter in the documented syntax, or None when it is not that."""
    wanted = {}
    for term in text.split(" AND "):
        match = FILTER_TERM.match(term)
        if not match:
            return None
        wanted[match.group(1)] = match.group(2)
    return wanted


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.batch = {}      # name -> Batch Job JSON
        self.vertex = {}     # name -> CustomJob JSON
        self.run = {}        # name -> Service JSON
        self.calls = []      # (method, path, query)
        self.fail = {}       # (method, path) -> [status, remaining count]
        self.certs = {}      # key id -> PEM certificate
        self.cert_fetches = 0
        self.ignore_filters = False
        self.vertex_page_size = 2

    def mutations(self):
        return [(m, p) for m, p, _ in self.calls if m in ("DELETE", "POST", "PATCH", "PUT")]


def _error(code: int, status: str, message: str) -> tuple:
    return code, {"error": {"code": code, "status": status, "message": message}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, code: int, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _route(self, method: str):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        state: State = self.server.state
        with state.lock:
            state.calls.append((method, url.path, query))
            failure = state.fail.get((method, url.path))
            if failure and failure[1] > 0:
                failure[1] -= 1
                return self._answer(*_error(failure[0], "UNAVAILABLE", "injected failure"))
            code, answer, headers = self._handle(state, method, url.path, query, body)
        self._answer(code, answer, headers)

    do_GET = lambda self: self._route("GET")  # noqa: E731
    do_POST = lambda self: self._route("POST")  # noqa: E731
    do_DELETE = lambda self: self._route("DELETE")  # noqa: E731
    do_PATCH = lambda self: self._route("PATCH")  # noqa: E731

    def _handle(self, state: State, method, path, query, body):
        if path == "/oauth2/v1/certs" and method == "GET":
            state.cert_fetches += 1
            return 200, state.certs, {"Cache-Control": "public, max-age=3600"}
        if path.startswith("/v1/") and path.endswith("/jobs") and method == "GET":
            return self._list(state, state.batch, query, "jobs", None)
        if re.fullmatch(r"/v1/projects/[^/]+/locations/[^/]+/jobs/[^/]+", path) and method == "DELETE":
            name = path[len("/v1/"):]
            job = state.batch.get(name)
            if job is None:
                return (*_error(404, "NOT_FOUND", f"{name} not found"), None)
            job["status"]["state"] = "DELETION_IN_PROGRESS"
            return 200, {"name": f"{name.rsplit('/jobs/', 1)[0]}/operations/delete-{job['uid']}", "done": False}, None
        if path.startswith("/v1/") and path.endswith("/customJobs") and method == "GET":
            return self._list(state, state.vertex, query, "customJobs", state.vertex_page_size)
        if re.fullmatch(r"/v1/projects/[^/]+/locations/[^/]+/customJobs/[^/:]+:cancel", path) and method == "POST":
            name = path[len("/v1/"):-len(":cancel")]
            job = state.vertex.get(name)
            if job is None:
                return (*_error(404, "NOT_FOUND", f"{name} not found"), None)
            if json.loads(body or b"null") != {}:
                return (*_error(400, "INVALID_ARGUMENT", "the cancel body must be {}"), None)
            job["state"] = "JOB_STATE_CANCELLING"
            return 200, {}, None
        if re.fullmatch(r"/v2/projects/[^/]+/locations/[^/]+/services/[^/]+", path):
            name = path[len("/v2/"):]
            service = state.run.get(name)
            if service is None:
                return (*_error(404, "NOT_FOUND", f"{name} not found"), None)
            if method == "GET":
                return 200, service, None
            if method == "DELETE":
                if query.get("etag", service["etag"]) != service["etag"]:
                    return (*_error(409, "ABORTED", "etag mismatch"), None)
                del state.run[name]
                return 200, {"name": f"{name.rsplit('/services/', 1)[0]}/operations/delete-{service['uid']}",
                             "done": False}, None
        return (*_error(404, "NOT_FOUND", f"no fake for {method} {path}"), None)

    @staticmethod
    def _list(state: State, items: dict, query: dict, key: str, page_size):
        wanted = parse_filter(query.get("filter", ""))
        if wanted is None:
            return (*_error(400, "INVALID_ARGUMENT", f"invalid filter {query.get('filter')!r}"), None)
        chosen = [item for item in items.values()
                  if state.ignore_filters or all(item.get("labels", {}).get(k) == v for k, v in wanted.items())]
        start = int(query.get("pageToken") or 0)
        end = len(chosen) if page_size is None else start + page_size
        answer = {key: chosen[start:end]}
        if end < len(chosen):
            answer["nextPageToken"] = str(end)
        return 200, answer, None


class FakeGoogle:
    def __init__(self):
        self.state = State()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.state = self.state
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
