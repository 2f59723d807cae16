"""The backend as uvicorn serves it, with the trainer's pipeline in an in-memory bucket: what schemathesis
(.ci/run) fuzzes on loopback. Usage: python services/tests/contract_server.py PORT"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), os.path.join(os.path.dirname(HERE), "backend"),
                os.path.join(os.path.dirname(HERE), "backend", "tests")]

import uvicorn  # noqa: E402

from backend_fixtures import settings, storage_with_model  # noqa: E402
from server import create_app  # noqa: E402

if __name__ == "__main__":
    app = create_app(storage_with_model(), settings(log_queue=100000))
    app.state.model.load()
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
