"""OpenAPI post-processing: the error responses every API operation can give.

Views declare their success shapes with ``extend_schema``; the failure shapes
are the same everywhere (``griddesk.common.errors``), so they are added here
once instead of on each view: 400 (validation), 401 (no or bad token), 403
(role), 404 (unknown object), 409 (state conflict) on writes, 413 (body too
large, ``RequestTooBigMiddleware``) and 415 (unsupported media type) where a
body is accepted.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every API error: a stable `code`, a translated `message`, and for invalid fields "
    "`errors` mapping each field (nested for nested input) to a list of `{code, message}`.",
    "properties": {
        "code": {"type": "string", "description": "stable, not translated"},
        "message": {"type": "string", "description": "translated (Chinese by default)"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "required": ["code", "message"],
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    "400": "Invalid input",
    "401": "Not authenticated",
    "403": "Not permitted for this role",
    "404": "Not found",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Conflicts with the current state",
    "413": "Request body too large",
    "415": "Unsupported media type",
}

_WRITE = {"post", "put", "patch", "delete"}


_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _error_response(code: str) -> dict[str, Any]:
    return {"description": _DESCRIPTIONS[code], "content": {"application/json": {"schema": dict(_ERROR_REF)}}}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            codes = ["400", "401", "403", "404", "405", "406"]
            if method in _WRITE:
                codes.append("409")
            if "requestBody" in operation:
                codes += ["413", "415"]
            responses = operation.setdefault("responses", {})
            for code in codes:
                if code not in responses:
                    responses[code] = _error_response(code)
                    continue
                # A view that documents its own body for this status (a bulk
                # endpoint's per-row report) can still fail with the common shape.
                for media in responses[code].get("content", {}).values():
                    own = media.get("schema")
                    if own and own != _ERROR_REF:
                        media["schema"] = {"anyOf": [own, _ERROR_REF]}
    return result
