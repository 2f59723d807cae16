"""Checks the OIDC token Pub/Sub puts on each push (https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions):
issued by Google (iss accounts.google.com), for our audience, unexpired, for the push account with email_verified.

Cloud Run's own IAM check comes first: the guard is private, only the push account may invoke it. Cloud Run then
forwards the token with its signature replaced by SIGNATURE_REMOVED_BY_GOOGLE ("Cloud Run removes the token
signature before passing the token to the user container",
https://cloud.google.com/run/docs/authenticating/service-to-service, and
https://cloud.google.com/run/docs/troubleshooting#signature-removed). Such a token is one Cloud Run verified, so
its claims are checked here as they are; any other token must carry a signature that verifies against Google's
certificates. GUARD_REQUIRE_SIGNATURE=1 refuses stripped tokens (for a deployment without Cloud Run's IAM check).
"""

import base64
import json
import threading
import time

from google.auth import exceptions as auth_exceptions
from google.auth.transport import requests as auth_requests
from google.oauth2 import id_token

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"  # what id_token.verify_oauth2_token uses
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
STRIPPED = "SIGNATURE_REMOVED_BY_GOOGLE"
CLOCK_SKEW_SECONDS = 10
MAX_TOKEN_BYTES = 8192


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class CachedCerts:
    """A google-auth transport Request that answers GETs of the certificate URL from memory while the response's
    Cache-Control max-age lasts (between 1 minute and 6 hours), so bad tokens cannot make the guard fetch."""

    def __init__(self, inner=None, clock=time.monotonic):
        self._inner = inner or auth_requests.Request()
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict = {}

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        if method != "GET":
            return self._inner(url, method=method, body=body, headers=headers, timeout=timeout, **kwargs)
        with self._lock:
            hit = self._cache.get(url)
            if hit and hit[0] > self._clock():
                return hit[1]
        response = self._inner(url, method="GET", headers=headers, timeout=timeout or 10, **kwargs)
        if response.status == 200:
            with self._lock:
                self._cache[url] = (self._clock() + _max_age(response.headers), response)
        return response


def _max_age(headers) -> float:
    text = ""
    for key, value in (headers or {}).items():
        if key.lower() == "cache-control":
            text = value
    for part in text.split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() == "max-age" and value.isdigit():
            return min(max(int(value), 60), 6 * 3600)
    return 300


def _segment(token: str, index: int):
    """A JWT segment's JSON, unverified."""
    try:
        part = token.split(".")[index]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError, RecursionError) as exc:
        raise Refused(401, f"the token is not a JWT ({type(exc).__name__})") from None


class PushAuth:
    def __init__(self, audience: str, account: str, certs_url: str | None = None, request=None,
                 require_signature: bool = False, clock=time.time):
        self.audience = audience
        self.account = account
        self.certs_url = certs_url or GOOGLE_CERTS_URL
        self.request = request or CachedCerts()
        self.require_signature = require_signature
        self.clock = clock

    def check(self, authorization: str | None) -> dict:
        """The token's claims; raises Refused(401) for no, a malformed, unverifiable, expired or foreign token and
        Refused(403) for a valid token of another account, and Refused(503) when Google's certificates can't be read."""
        if not authorization:
            raise Refused(401, "no Authorization header")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Refused(401, "the Authorization header is not 'Bearer <token>'")
        if len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
            raise Refused(401, "the token is not a JWT")
        if token.rsplit(".", 1)[1] == STRIPPED and not self.require_signature:
            claims = self._stripped(token)
        else:
            claims = self._verified(token)
        if claims.get("iss") not in GOOGLE_ISSUERS:
            raise Refused(401, "the token was not issued by Google")
        if claims.get("email") != self.account:
            raise Refused(403, "the token is not the push account's")
        if claims.get("email_verified") is not True:
            raise Refused(403, "the token's email is not verified")
        return claims

    def _verified(self, token: str) -> dict:
        try:
            return dict(id_token.verify_token(token, self.request, audience=self.audience, certs_url=self.certs_url,
                                              clock_skew_in_seconds=CLOCK_SKEW_SECONDS))
        except auth_exceptions.TransportError as exc:
            raise Refused(503, f"Google's certificates could not be read: {exc}") from None
        except (ValueError, auth_exceptions.GoogleAuthError) as exc:  # signature, expiry, audience, format
            raise Refused(401, f"the token does not verify: {exc}") from None

    def _stripped(self, token: str) -> dict:
        """Claims of a token whose signature Cloud Run checked and removed: the same claim checks as jwt.decode."""
        header = _segment(token, 0)
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise Refused(401, "the token is not an RS256 JWT")
        claims = _segment(token, 1)
        if not isinstance(claims, dict):
            raise Refused(401, "the token's payload is not a JSON object")
        now = self.clock()
        try:
            issued, expires = float(claims["iat"]), float(claims["exp"])
        except (KeyError, TypeError, ValueError):
            raise Refused(401, "the token has no iat and exp") from None
        if issued > now + CLOCK_SKEW_SECONDS:
            raise Refused(401, "the token is not valid yet")
        if expires < now - CLOCK_SKEW_SECONDS:
            raise Refused(401, "the token has expired")
        audience = claims.get("aud")
        if audience != self.audience and not (isinstance(audience, list) and self.audience in audience):
            raise Refused(401, "the token is for another audience")
        return claims

