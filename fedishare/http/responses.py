"""Response classes for the media types we serve."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse


class ActivityJSONResponse(JSONResponse):
    media_type = "application/activity+json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class JRDResponse(JSONResponse):
    media_type = "application/jrd+json"


def error_response(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)
