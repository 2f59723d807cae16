"""Lets `python -m pytest services` import each service's modules and the shared `common` package
the way the images do (everything in /app). Module names are unique across services on purpose."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
for folder in ("", "backend", "monitor", "trainer", "frontend", "guard"):
    path = os.path.join(HERE, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
