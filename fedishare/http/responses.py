"""Response classes for the media types we serve."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from fedishare.core.json_text import compact_json


class ActivityJSONResponse(JSONResponse):
    media_type = "application/activity+json"

    def render(self, content: Any) -> bytes:
        return compact_json(content).encode("utf-8")


class JRDResponse(JSONResponse):
    media_type = "application/jrd+json"
