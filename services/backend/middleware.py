"""Pure ASGI middleware (no per-request task, unlike @app.middleware): body limit and request metrics."""

import time
from typing import Callable

KNOWN_PATHS = {"/health", "/ready", "/predict", "/metrics"}


async def _send_413(send, limit: int) -> None:
    body = b'{"detail":"request body larger than %d bytes"}' % limit
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class LimitAndCount:
    """Answers 413 before the app parses a body over `max_body` bytes; counts every answer by status,
    including the 500 of an unhandled exception, and times it. A 503 from /ready ("not ready yet") is
    the probe's answer, not a server error, so it stays out of `errors` (the 5xx alert's counter)."""

    def __init__(self, app, max_body: int, metrics):
        self.app, self.max_body = app, max_body
        self.requests, self.errors, self.latency = metrics.requests, metrics.errors, metrics.latency

    async def __call__(self, scope, receive: Callable, send: Callable):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"] if scope["path"] in KNOWN_PATHS else "other"
        status = {"code": 500}
        start = time.perf_counter()

        async def counting_send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            receive = await self._limited(scope, receive)
            if receive is None:
                status["code"] = 413
                return await _send_413(send, self.max_body)
            await self.app(scope, receive, counting_send)
        finally:
            code = status["code"]
            self.latency.labels(path).observe(time.perf_counter() - start)
            self.requests.labels(scope["method"], path, str(code)).inc()
            if code >= 500 and not (path == "/ready" and code == 503):
                self.errors.labels(path).inc()

    async def _limited(self, scope, receive):
        """None when the body is too large; otherwise a receive that replays a buffered chunked body."""
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                return receive if int(length) <= self.max_body else None
            except ValueError:
                return None
        if scope["method"] in ("GET", "HEAD"):
            return receive
        chunks, size, more = [], 0, True
        while more:  # no Content-Length (chunked): read at most max_body bytes, then decide
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_body:
                return None
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay_receive():
            return replay.pop() if replay else await receive()

        return replay_receive
