"""The project's OpenAPI document (what /api/schema/ serves), built in-process."""

from __future__ import annotations

import functools
import json

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer


@functools.cache
def _schema_json() -> str:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return OpenApiJsonRenderer().render(raw).decode()


def openapi_schema() -> dict:
    """A fresh copy of the document, as plain JSON values."""
    return json.loads(_schema_json())


def request_body_schema(path: str, method: str) -> tuple[str, dict] | None:
    """(media type, resolved object schema) of an operation's request body, or None.

    multipart/form-data is preferred (the upload endpoints accept only that), then JSON.
    """
    document = openapi_schema()
    operation = document["paths"].get(path, {}).get(method.lower())
    if not operation or "requestBody" not in operation:
        return None
    content = operation["requestBody"]["content"]
    for media_type in ("multipart/form-data", "application/json"):
        if media_type in content:
            schema = dict(_resolve(document, content[media_type]["schema"]))
            # properties given by reference (an enum component, say) are resolved too
            schema["properties"] = {
                name: _resolve(document, prop) for name, prop in schema.get("properties", {}).items()
            }
            return media_type, schema
    return None


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        target = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema
