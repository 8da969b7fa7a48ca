"""The typed client and the server's OpenAPI document must describe the same API.

The document is the reviewed snapshot (tests/snapshots/openapi.json), which
tests/functional/api/test_openapi_snapshot.py keeps equal to what the server serves. A
route, query parameter, body field or answer schema the client does not know about (or
knows and the server dropped) fails here, naming it.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest

from orcheo_core.sdk.endpoints import ENDPOINTS, NOT_CALLED, Endpoint
from orcheo_core.sdk.models import SCHEMAS, Page

SNAPSHOT = Path(__file__).parents[2] / "snapshots" / "openapi.json"
DOC: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
OPERATIONS = {
    (method.upper(), path): operation
    for path, item in DOC["paths"].items()
    for method, operation in item.items()
}


def _schema(ref: str) -> dict[str, Any]:
    schema: dict[str, Any] = DOC["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def _expected_answer(into: Any) -> Any:
    """What the OpenAPI answer schema must look like for the client's answer type."""
    if into is None:
        return None
    origin = typing.get_origin(into)
    if origin is list:
        (item,) = typing.get_args(into)
        return ["array", _expected_answer(item)]
    if origin is dict:
        return "object"
    if isinstance(into, type) and issubclass(into, Page):
        (item,) = into.__pydantic_generic_metadata__["args"]
        return f"PageOut_{SCHEMAS[item]}_"
    return SCHEMAS[into]


def _actual_answer(operation: dict[str, Any]) -> Any:
    for status, response in sorted(operation["responses"].items()):
        if not status.startswith("2"):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if status == "204" or not schema:
            return None
        return _shape(schema)
    return None


def _shape(schema: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return ["array", _shape(schema["items"])]
    return "object"


def test_the_client_covers_every_operation_and_no_other() -> None:
    client_side = {(e.method, e.path) for e in ENDPOINTS.values()}
    server_side = set(OPERATIONS) - set(NOT_CALLED)
    assert sorted(server_side - client_side) == [], "operations the client lacks"
    assert sorted(client_side - set(OPERATIONS)) == [], "operations the server no longer has"
    assert sorted(set(NOT_CALLED) - set(OPERATIONS)) == [], "stale NOT_CALLED entries"


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_parameters_bodies_and_answers_match(name: str) -> None:
    endpoint: Endpoint = ENDPOINTS[name]
    operation = OPERATIONS[(endpoint.method, endpoint.path)]
    query = sorted(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
    assert sorted(endpoint.query) == query, f"{name}: query parameters"
    body_schema = (
        operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ).get("schema")
    body: list[str] = []
    if body_schema:
        refs = [body_schema] + list(body_schema.get("anyOf", []))
        ref = next(s["$ref"] for s in refs if "$ref" in s)
        body = sorted(_schema(ref)["properties"])
    assert sorted(endpoint.body) == body, f"{name}: body fields"
    assert _expected_answer(endpoint.into) == _actual_answer(operation), f"{name}: answer"


@pytest.mark.parametrize("model", list(SCHEMAS), ids=lambda m: m.__name__)
def test_models_have_the_schemas_fields(model: type) -> None:
    schema = _schema(SCHEMAS[model])
    fields = model.model_fields  # type: ignore[attr-defined]
    assert sorted(fields) == sorted(schema["properties"]), f"{model.__name__}: fields"
    required = {name for name, info in fields.items() if info.is_required()}
    assert required <= set(schema.get("required", [])), (
        f"{model.__name__}: fields the client requires but the server may leave out"
    )


def test_the_drift_check_can_fail() -> None:
    # Guard against a check that passes vacuously: a made-up field is noticed.
    endpoint = ENDPOINTS["start_run"]
    operation = OPERATIONS[(endpoint.method, endpoint.path)]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert sorted((*endpoint.body, "priority")) != sorted(_schema(ref)["properties"])
