"""Load test of a deployed backend with Locust (the course's load-testing tool).

    pip install locust
    locust -f services/backend/locustfile.py --host https://backend-xxxx.a.run.app \
        --users 80 --spawn-rate 10 --run-time 2m --headless

A private backend (the default in this stack) needs an ID token for its URL; pass one in ID_TOKEN:

    ID_TOKEN="$(gcloud auth print-identity-token)" locust -f services/backend/locustfile.py --host https://...

Each simulated user sends one Iris-shaped row per request (as the frontend does), sometimes a batch of 10,
and now and then reads /health. The answers other than 200 are failures in Locust's report; a 503 means no
model is loaded yet (run training), a 403 that the token is missing or not for this URL. Every request is
logged to the predictions bucket, so a run is also a drift-monitor sample: a few thousand rows cost nothing.
"""

import os
import random

from locust import HttpUser, between, task

# Means and spreads of Iris's four features: realistic inputs, so the drift report of a load test is sane.
FEATURES = [(5.84, 0.83), (3.06, 0.44), (3.76, 1.77), (1.20, 0.76)]


def row():
    return [round(max(0.1, random.gauss(mean, sd)), 1) for mean, sd in FEATURES]


class BackendUser(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self):
        token = os.environ.get("ID_TOKEN", "").strip()
        if token:
            self.client.headers["Authorization"] = f"Bearer {token}"

    @task(10)
    def predict_one(self):
        self.client.post("/predict", json={"features": [row()]}, name="/predict (1 row)")

    @task(2)
    def predict_batch(self):
        self.client.post("/predict", json={"features": [row() for _ in range(10)]}, name="/predict (10 rows)")

    @task(1)
    def health(self):
        self.client.get("/health")
