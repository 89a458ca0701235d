"""OpenAPI post-processing: document the structured error every operation can return."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": True},
                "current_version": {"type": "integer"},
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
ERRORS = {
    "400": "Invalid input or a rule of the program forbids the change.",
    "401": "Not authenticated.",
    "403": "The role may not do this.",
    "404": "No such record in the caller's municipality.",
    "405": "Method not allowed.",
    "429": "Too many requests (token rate limit).",
}
# Updates carry the version the client read (optimistic locking).
UPDATE_ERRORS = {
    "409": "The record was changed by someone else since the client read it (error code "
    "`conflict`, `current_version` given); nothing was saved. Read it again and retry.",
}


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    # PATCH bodies are documented as all-optional, but an update must carry the version
    # the client read (optimistic locking): the API refuses it without one.
    for name, schema in schemas.items():
        if name.startswith("Patched") and "version" in schema.get("properties", {}):
            schema["required"] = sorted({*schema.get("required", []), "version"})
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = {**ERRORS, **(UPDATE_ERRORS if method in ("put", "patch") else {})}
            for code, description in errors.items():
                operation["responses"].setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
