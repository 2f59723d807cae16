"""Calls the model API; plain Python (no Streamlit) so it is tested without a browser.

A private backend (Cloud Run IAM) needs a Google ID token whose audience is its URL. We always ask
the metadata server for one and send the call without a token when there is none (not on GCP).
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, List, Tuple

METADATA_IDENTITY = "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity"


def id_token_headers(audience: str, metadata_url: str = METADATA_IDENTITY, timeout: float = 2.0) -> Dict[str, str]:
    url = f"{metadata_url}?{urllib.parse.urlencode({'audience': audience})}"
    request = urllib.request.Request(url, headers={"Metadata-Flavor": "Google"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            token = response.read().decode().strip()
    except (OSError, ValueError):  # no metadata server: local run, no token
        return {}
    return {"Authorization": f"Bearer {token}"} if token else {}


def predict(backend_url: str, rows: List[List[float]], metadata_url: str = METADATA_IDENTITY,
            timeout: float = 30.0) -> Tuple[bool, str]:
    """(True, label of the first row) or (False, a message for the page)."""
    base = backend_url.rstrip("/")
    headers = {"Content-Type": "application/json", **id_token_headers(base, metadata_url)}
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
