"""Calls the model API; plain Python (no Streamlit) so it is tested without a browser.

A private backend (Cloud Run IAM) needs a Google ID token whose audience is the backend's origin
(scheme://host[:port], no path: cloud.google.com/run/docs/authenticating/service-to-service). On Cloud Run
(K_SERVICE is set) google-auth gets it from the metadata server; it is cached until shortly before it
expires (google-auth's `valid`), and a failure is shown as what it is, never as a misleading 403. Off Cloud
Run the call goes without a token (a local backend).
"""

import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, List, Optional, Tuple


class TokenError(RuntimeError):
    """No ID token could be had: the message says from where and why."""


def audience_of(backend_url: str) -> str:
    """The backend's origin: what Cloud Run checks an ID token's audience against."""
    parts = urllib.parse.urlsplit(backend_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"BACKEND_URL={backend_url!r} is not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc}"


class IdTokens:
    """ID tokens for one audience, fetched with google-auth and reused until they expire."""

    def __init__(self, audience: str):
        self.audience = audience
        self._credentials = None
        self._lock = threading.Lock()

    def headers(self) -> Dict[str, str]:
        import google.auth.exceptions
        import google.auth.transport.requests
        from google.oauth2 import id_token

        with self._lock:
            try:
                request = google.auth.transport.requests.Request()
                if self._credentials is None:
                    self._credentials = id_token.fetch_id_token_credentials(self.audience, request=request)
                if not self._credentials.valid:  # none yet, or expiring within google-auth's clock skew
                    self._credentials.refresh(request)
            except (google.auth.exceptions.GoogleAuthError, ValueError) as exc:
                self._credentials = None
                raise TokenError(f"could not get an ID token for {self.audience} from the metadata server: "
                                 f"{type(exc).__name__}: {exc}") from None
            return {"Authorization": f"Bearer {self._credentials.token}"}


_tokens: Dict[str, IdTokens] = {}


def token_headers(audience: str, on_cloud_run: Optional[bool] = None) -> Dict[str, str]:
    if on_cloud_run is None:
        on_cloud_run = bool(os.environ.get("K_SERVICE"))  # set by Cloud Run in every container
    if not on_cloud_run:
        return {}
    if audience not in _tokens:
        _tokens[audience] = IdTokens(audience)
    return _tokens[audience].headers()


def predict(backend_url: str, rows: List[List[float]], timeout: float = 30.0,
            on_cloud_run: Optional[bool] = None) -> Tuple[bool, str]:
    """(True, label of the first row) or (False, a message for the page)."""
    base = backend_url.rstrip("/")
    try:
        headers = {"Content-Type": "application/json", **token_headers(audience_of(base), on_cloud_run)}
    except (TokenError, ValueError) as exc:
        return False, f"Not calling the model API: {exc}"
    body = json.dumps({"features": rows}).encode()
    request = urllib.request.Request(f"{base}/predict", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        return False, f"Could not reach the model API: {exc}"
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if status == 200 and isinstance(answer, dict) and answer.get("predictions"):
        return True, str(answer["predictions"][0])
    if status == 200:
        return False, f"Unexpected answer from the model API: {text[:300]}"
    detail = answer.get("detail", answer) if isinstance(answer, dict) else text[:300]
    hint = " (is the frontend's account allowed to invoke the backend?)" if status in (401, 403) else ""
    return False, f"The model API answered {status}{hint}: {detail}"
