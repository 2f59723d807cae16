"""Streamlit page that sends one Iris flower to the model API at $BACKEND_URL."""

import os

import streamlit as st

from client import predict

BACKEND_URL = os.environ.get("BACKEND_URL", "").rstrip("/")
FEATURES = [
    ("sepal length (cm)", 5.1),
    ("sepal width (cm)", 3.5),
    ("petal length (cm)", 1.4),
    ("petal width (cm)", 0.2),
]

st.set_page_config(page_title="Iris classifier")
st.title("Iris classifier")

if not BACKEND_URL:
    st.error("BACKEND_URL is not set: the frontend does not know where the model API is.")
else:
    st.caption(f"Model API: {BACKEND_URL}")

values = [st.number_input(name, min_value=0.0, max_value=20.0, value=default, step=0.1) for name, default in FEATURES]

if st.button("Predict", disabled=not BACKEND_URL):
    ok, message = predict(BACKEND_URL, [values])
    if ok:
        st.success(f"Predicted class: **{message}**")
    else:
        st.error(message)
