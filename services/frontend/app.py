"""Streamlit page that sends one Iris flower to the model API."""

import os

import requests
import streamlit as st

API_URL = os.environ.get("API_URL", "").rstrip("/")
FEATURES = [
    ("sepal length (cm)", 5.1),
    ("sepal width (cm)", 3.5),
    ("petal length (cm)", 1.4),
    ("petal width (cm)", 0.2),
]


def auth_headers(url):
    """On Google Cloud, attach an ID token so a backend that requires authentication accepts the call."""
    try:
        token = requests.get(
            "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity",
            params={"audience": url},
            headers={"Metadata-Flavor": "Google"},
            timeout=2,
        )
    except requests.RequestException:
        return {}  # not on Google Cloud
    return {"Authorization": f"Bearer {token.text}"} if token.ok else {}


st.set_page_config(page_title="Iris classifier")
st.title("Iris classifier")

if not API_URL:
    st.error("API_URL is not set: the frontend does not know where the model API is.")
else:
    st.caption(f"Model API: {API_URL}")

values = [st.number_input(name, min_value=0.0, max_value=20.0, value=default, step=0.1) for name, default in FEATURES]

if st.button("Predict", disabled=not API_URL):
    try:
        response = requests.post(
            f"{API_URL}/predict",
            json={"features": [values]},
            headers=auth_headers(API_URL),
            timeout=30,
        )
    except requests.RequestException as exc:
        st.error(f"Could not reach the model API: {exc}")
    else:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.ok and isinstance(body, dict) and body.get("predictions"):
            st.success(f"Predicted class: **{body['predictions'][0]}**")
        elif response.ok:
            st.error(f"Unexpected answer from the model API: {response.text[:500]}")
        else:
            detail = body.get("detail", body) if isinstance(body, dict) else response.text[:500]
            st.error(f"The model API answered {response.status_code}: {detail}")
