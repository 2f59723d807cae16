"""The /ready answer both servers give: 200 when nothing is wrong, else 503 with the reasons."""

from typing import List

from fastapi.responses import JSONResponse


def readiness(problems: List[str], **details) -> JSONResponse:
    if problems:
        body = {"status": "not ready", "reason": "; ".join(problems), **details}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ready", **details})
