"""The push's OIDC token: refused without it or with one that is not the push account's, and then nothing is done
(no notification read, no API called, no record)."""

import base64
import json
import time

import pytest
from conftest import AUDIENCE, PARENT, PUSH_ACCOUNT, claims, events, push_body
from test_guard import RECORD, everything

from pushauth import CachedCerts

NOW = int(time.time())
SIGNED = {
    "another key's signature": (401, {"key": "other"}),
    "expired": (401, {"iat": NOW - 7200, "exp": NOW - 3600}),
    "issued in the future": (401, {"iat": NOW + 3600, "exp": NOW + 7200}),
    "another audience": (401, {"aud": "https://another-service.run.app/"}),
    "no audience": (401, {"aud": None}),
    "another issuer": (401, {"iss": "https://evil.example"}),
    "another account": (403, {"email": "someone@course-group-7.iam.gserviceaccount.com"}),
    "no email": (403, {"email": None}),
    "email not verified": (403, {"email_verified": False}),
    "email_verified as a string": (403, {"email_verified": "true"}),
}


def stripped(**overrides) -> str:
    """A token as Cloud Run forwards it after its IAM check: signature replaced by SIGNATURE_REMOVED_BY_GOOGLE."""
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return ".".join([part({"alg": "RS256", "kid": "test-key-1", "typ": "JWT"}), part(claims(**overrides)),
                     "SIGNATURE_REMOVED_BY_GOOGLE"])


def assert_nothing_done(state, bucket, capsys):
    assert state.mutations() == []
    assert [c for c in state.calls if not c[1].endswith("/certs")] == []
    assert bucket.get_blob(RECORD) is None
    assert [e["event"] for e in events(capsys)] == ["credit_guard_refused"]


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt", "Bearer a.b.c",
                                    "Bearer " + "a" * 9000])
def test_no_or_a_malformed_token_is_refused_with_401(make_guard, capsys, header):
    client, state, bucket = make_guard()
    everything(state)
    headers = {} if header is None else {"Authorization": header}
    response = client.post("/", content=push_body(cost=99.0), headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert_nothing_done(state, bucket, capsys)


@pytest.mark.parametrize("case", list(SIGNED))
def test_a_signed_token_that_is_not_the_push_accounts_is_refused(make_guard, token, capsys, case):
    status, overrides = SIGNED[case]
    client, state, bucket = make_guard()
    everything(state)
    response = client.post("/", content=push_body(cost=99.0), headers={"Authorization": f"Bearer {token(**overrides)}"})
    assert response.status_code == status
    assert_nothing_done(state, bucket, capsys)


def test_the_push_accounts_signed_token_is_accepted(make_guard, token, capsys):
    client, state, bucket = make_guard()
    everything(state)
    assert client.post("/", content=push_body(cost=99.0), headers={"Authorization": f"Bearer {token()}"}).status_code == 204
    assert bucket.get_blob(RECORD) is not None


STRIPPED = {
    "expired": (401, {"iat": NOW - 7200, "exp": NOW - 3600}),
    "another audience": (401, {"aud": "https://another-service.run.app/"}),
    "another issuer": (401, {"iss": "https://evil.example"}),
    "no exp": (401, {"exp": None}),
    "another account": (403, {"email": "someone@course-group-7.iam.gserviceaccount.com"}),
    "email not verified": (403, {"email_verified": False}),
}


def test_a_token_cloud_run_verified_and_stripped_is_accepted(make_guard, capsys):
    client, state, bucket = make_guard()
    everything(state)
    response = client.post("/", content=push_body(cost=99.0), headers={"Authorization": f"Bearer {stripped()}"})
    assert response.status_code == 204
    assert bucket.get_blob(RECORD) is not None


@pytest.mark.parametrize("case", list(STRIPPED))
def test_a_stripped_token_with_the_wrong_claims_is_refused(make_guard, capsys, case):
    status, overrides = STRIPPED[case]
    client, state, bucket = make_guard()
    everything(state)
    response = client.post("/", content=push_body(cost=99.0),
                           headers={"Authorization": f"Bearer {stripped(**overrides)}"})
    assert response.status_code == status
    assert_nothing_done(state, bucket, capsys)


def test_stripped_tokens_are_refused_when_a_signature_is_required(make_guard, capsys):
    client, state, bucket = make_guard(GUARD_REQUIRE_SIGNATURE="1")
    everything(state)
    response = client.post("/", content=push_body(cost=99.0), headers={"Authorization": f"Bearer {stripped()}"})
    assert response.status_code == 401
    assert_nothing_done(state, bucket, capsys)


def test_googles_certificates_are_fetched_once_while_their_max_age_lasts(make_guard, token, capsys):
    client, state, _ = make_guard()
    for i in range(3):
        client.post("/", content=push_body(cost=1.0), headers={"Authorization": f"Bearer {token()}"})
        client.post("/", content=push_body(cost=1.0), headers={"Authorization": f"Bearer {token(key='other')}"})
    assert state.cert_fetches == 1


def test_unreadable_certificates_answer_503_and_nothing_is_done(make_guard, token, capsys):
    client, state, bucket = make_guard()
    everything(state)
    state.fail[("GET", "/oauth2/v1/certs")] = [500, 1]
    response = client.post("/", content=push_body(cost=99.0), headers={"Authorization": f"Bearer {token()}"})
    assert response.status_code == 503
    assert_nothing_done(state, bucket, capsys)


def test_the_certificate_cache_honours_max_age():
    class Response:
        def __init__(self, age):
            self.status, self.headers, self.data = 200, {"Cache-Control": f"public, max-age={age}"}, b"{}"

    fetched, now = [], [0.0]

    def inner(url, method="GET", **kwargs):
        fetched.append(url)
        return Response(3600)

    cache = CachedCerts(inner, clock=lambda: now[0])
    cache("https://certs")
    now[0] = 3599
    cache("https://certs")
    assert len(fetched) == 1
    now[0] = 3601
    cache("https://certs")
    assert len(fetched) == 2


def test_the_audience_and_account_checked_are_the_configured_ones(make_guard, token, capsys):
    client, state, _ = make_guard(GUARD_PUSH_AUDIENCE="https://guard.example/", GUARD_PUSH_ACCOUNT="x@y.iam.gserviceaccount.com")
    assert client.post("/", content=push_body(cost=1.0), headers={"Authorization": f"Bearer {token()}"}).status_code == 401
    good = token(aud="https://guard.example/", email="x@y.iam.gserviceaccount.com")
    assert client.post("/", content=push_body(cost=1.0), headers={"Authorization": f"Bearer {good}"}).status_code == 204
    assert AUDIENCE != "https://guard.example/" and PUSH_ACCOUNT != "x@y.iam.gserviceaccount.com" and PARENT
