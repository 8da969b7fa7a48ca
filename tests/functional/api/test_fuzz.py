"""Fuzz the API from its own OpenAPI document, and the spec validator behind it.

schemathesis generates requests for every operation (valid ones, and ones that break
the schema on purpose); each is sent through the test client to the real local stack.
Every answer must be below 500, every error must have the one error shape, and a
400/413/422 must name the field at fault. Hypothesis then throws near-valid and random
workflow specs at ``POST /api/workflows``: the validator answers 201 or 422, never 500.

The generation is deterministic (``derandomize``) and bounded (``max_examples``), and no
example database is written. The ``@given`` functions are defined inside the tests, so
they never see a function-scoped fixture.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.functional.api.conftest import SIMPLE_SPEC, create_workflow

if TYPE_CHECKING:
    from httpx2 import Response  # what starlette's TestClient answers with
    from schemathesis.schemas import APIOperation
    from starlette.testclient import TestClient

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    # Generation speed and size are not what these tests are about.
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


# Statuses whose error must say which request field is at fault.
FIELD_ERRORS = {400, 413, 422}
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _spec_v2() -> dict[str, Any]:
    spec = copy.deepcopy(SIMPLE_SPEC)
    spec["nodes"][0]["config"]["values"]["greeting"] = "Hi {{ state.name }}"
    return spec


def _seed(client: TestClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    """Real objects for the path parameters: two versions, an empty workflow, a debug run."""
    full = create_workflow(client, admin)["id"]
    answer = client.post(
        f"/api/workflows/{full}/versions", json={"spec": _spec_v2()}, headers=admin
    )
    assert answer.status_code == 201, answer.text
    empty = client.post("/api/workflows", json={"name": "Empty"}, headers=admin).json()["id"]
    run = client.post(
        f"/api/workflows/{full}/runs", json={"wait": True, "debug": True}, headers=admin
    ).json()
    assert run["status"] == "succeeded", run
    spare = client.post("/api/tokens", json={"name": "spare", "scopes": ["read"]}, headers=admin)
    ids = {"run_id": run["id"], "token_id": spare.json()["id"]}
    ids["trigger_id"] = "manual"  # the seeded workflows declare no triggers: a 404 / 422
    # A generic credential: testing it is a 422 before any request could leave the machine.
    credential = client.post(
        "/api/credentials",
        json={"name": f"seed-{full}", "type": "generic", "secret": {"key": "seed-secret"}},
        headers=admin,
    )
    assert credential.status_code == 201, credential.text
    ids["credential_id"] = credential.json()["id"]
    return [
        {**ids, "workflow_id": full, "number": 2},
        {**ids, "workflow_id": empty, "number": 1},
    ]


def _cases(
    operation: APIOperation[Any, Any, Any, Any],
    mode: schemathesis.GenerationMode,
    seeds: list[dict[str, Any]],
) -> st.SearchStrategy[schemathesis.Case[Any]]:
    """Generated cases, and the same with the path parameters pointing at real objects."""
    strategies = [operation.as_strategy(generation_mode=mode)]
    names = {parameter.name for parameter in operation.path_parameters}
    for seed in seeds if names else []:
        fixed = {name: value for name, value in seed.items() if name in names}
        strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    return st.one_of(strategies)


def _send(
    client: TestClient, case: schemathesis.Case[Any], admin: dict[str, str]
) -> tuple[Response, str, bool]:
    """Send ``case`` through the test client (the app's own loop).

    Returns the answer, a label for failure messages, and whether the admin token went
    with it (negative cases may drop or break the Authorization header on purpose).
    """
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=admin)
    fields = ("method", "url", "headers", "params", "cookies", "json", "data", "files")
    prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in fields}).prepare()
    headers = {
        name: value if isinstance(value, str) else value.decode("latin-1")
        for name, value in prepared.headers.items()
        if name.lower() not in {"content-length", "connection"}
    }
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    assert body is None or isinstance(body, bytes), body  # JSON or raw bytes, never a stream
    response = client.request(
        str(prepared.method), str(prepared.url), headers=headers, content=body
    )
    label = f"{prepared.method} {prepared.url} body={(body or b'')[:300]!r}"
    label = f"{label} -> {response.status_code} {response.text[:500]}"
    return response, label, prepared.headers.get("Authorization") == admin["Authorization"]


def _names_a_field(details: dict[str, Any]) -> bool:
    if isinstance(details.get("field"), str) and details["field"]:
        return True
    errors, problems = details.get("errors"), details.get("problems")
    if isinstance(errors, list) and errors:
        return all(isinstance(e, dict) and e.get("field") for e in errors)
    if isinstance(problems, list) and problems:
        return all(isinstance(p, dict) and isinstance(p.get("loc"), str) for p in problems)
    return False


def assert_good_answer(response: Response, label: str, *, authenticated: bool) -> None:
    """No 5xx; every error in the one shape, naming what is at fault."""
    assert response.status_code < 500, label
    if response.status_code < 400:
        return
    body = response.json()
    assert set(body) == {"error"}, label
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, label
    assert isinstance(error["code"], str) and error["code"], label
    assert isinstance(error["message"], str) and error["message"], label
    details = error["details"]
    assert isinstance(details, dict), label
    status = response.status_code
    if status in FIELD_ERRORS:
        assert _names_a_field(details), f"the error names no field: {label}"
    elif status == 401:
        assert not authenticated, f"the admin token was refused: {label}"
        assert response.headers["www-authenticate"] == "Bearer", label
    elif status == 403:
        raise AssertionError(f"the admin token lacks a scope: {label}")
    else:
        # 404 names the missing object (or path), 409 the state in the way.
        assert details, f"the error names nothing: {label}"


# One test per operation (and generation mode), so a failure names its operation and no
# test runs long: the operations come from the committed OpenAPI snapshot, which
# test_openapi_snapshot.py keeps equal to the live document (checked again below).
SNAPSHOT = Path(__file__).parents[2] / "snapshots" / "openapi.json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted(
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    )


OPERATIONS = _operations(json.loads(SNAPSHOT.read_text(encoding="utf-8")))


def test_every_operation_of_the_live_document_is_fuzzed(client: TestClient) -> None:
    assert _operations(client.get("/openapi.json").json()) == OPERATIONS
    assert len(OPERATIONS) >= 20, OPERATIONS  # an empty or unreadable document fuzzes nothing


# schemathesis's own strategies use the `random` module, which Hypothesis deprecates.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=str)
@pytest.mark.parametrize(
    ("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS]
)
def test_fuzz_the_operation_from_the_openapi_document(
    client: TestClient,
    admin: dict[str, str],
    mode: schemathesis.GenerationMode,
    path: str,
    method: str,
) -> None:
    doc = client.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(doc)
    result = schema[path][method.upper()]
    operation = result.ok() if isinstance(result, Ok) else result
    seeds = _seed(client, admin)

    @FUZZ
    @given(case=_cases(operation, mode, seeds))
    def check(case: schemathesis.Case[Any]) -> None:
        response, label, authenticated = _send(client, case, admin)
        assert_good_answer(response, label, authenticated=authenticated)
        if response.status_code != 401:
            case.validate_response(response, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        # Nothing to break in an operation without parameters, body or security.
        raw = doc["paths"][path][method]
        assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
        assert not {"parameters", "requestBody", "security"} & set(raw), operation.label


# ---------------------------------------------------------------------------- specs

JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON = st.recursive(
    JSON_LEAF,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
NODE_TYPES = st.sampled_from(["set_variable", "if_else", "delay", "http_request", "nope", ""])
NODE = st.fixed_dictionaries(
    {"id": st.text(max_size=6) | JSON, "type": NODE_TYPES | JSON},
    optional={"config": st.dictionaries(st.text(max_size=8), JSON, max_size=3) | JSON},
)
EDGE = st.fixed_dictionaries(
    {},
    optional={
        "source": st.sampled_from(["greet", "__start__", "__end__", "x"]) | JSON,
        "target": st.sampled_from(["greet", "__end__", "x"]) | JSON,
        "routes": st.dictionaries(st.text(max_size=5), st.text(max_size=5) | JSON, max_size=3),
    },
)
SPECS = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=10) | JSON,
        "nodes": st.lists(NODE, max_size=4) | JSON,
        "edges": st.lists(EDGE, max_size=4) | JSON,
        "state": st.dictionaries(st.text(max_size=6), JSON, max_size=3) | JSON,
        "settings": JSON,
        "trigger": JSON,
        "entry": st.text(max_size=6) | JSON,
    },
)


# Valid specs to mutate: the conformance corpus covers every node type and edge kind.
CORPUS = [SIMPLE_SPEC] + [
    json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(
        (Path(__file__).parents[2] / "conformance" / "cases").glob("*/workflow.json")
    )
]


@st.composite
def mutated_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid spec with one value somewhere inside it replaced by arbitrary JSON."""
    spec = copy.deepcopy(draw(st.sampled_from(CORPUS)))
    parent: Any = spec
    while True:
        keys = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
        key = draw(st.sampled_from(keys))
        child = parent[key]
        if not isinstance(child, dict | list) or not child or draw(st.booleans()):
            parent[key] = draw(JSON)
            return spec
        parent = child


def test_fuzz_the_spec_validator(client: TestClient, admin: dict[str, str]) -> None:
    @settings(FUZZ, max_examples=150)
    @given(spec=st.one_of(mutated_specs(), SPECS, st.dictionaries(st.text(max_size=8), JSON)))
    def check(spec: dict[str, Any]) -> None:
        response = client.post(
            "/api/workflows", json={"name": "fuzzed", "spec": spec}, headers=admin
        )
        label = f"spec={spec!r} -> {response.status_code} {response.text[:500]}"
        assert response.status_code in (201, 422), label
        assert_good_answer(response, label, authenticated=True)
        if response.status_code == 422:
            assert response.json()["error"]["code"] == "invalid_spec", label

    check()


# ---------------------------------------------------------------------------- regressions
# Bugs the fuzzing found, pinned down so they stay fixed whatever the generator draws.

HUGE = 2**64  # past SQLite's 64-bit INTEGER: once a 500 (OverflowError) deep in a store


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_integer(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = _resolve(doc, schema)
    options = schema.get("anyOf", [schema])
    return any(_resolve(doc, option).get("type") == "integer" for option in options)


def _minimal(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The smallest valid value of ``schema`` (enough for the request to reach the logic)."""
    schema = _resolve(doc, schema)
    if "anyOf" in schema:
        return _minimal(doc, schema["anyOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return [_minimal(doc, schema.get("items", {}))] * schema.get("minItems", 0)
    defaults = {"string": "x", "integer": 1, "number": 1, "boolean": False, "object": {}}
    return defaults.get(str(kind))


def _integer_inputs(doc: dict[str, Any], op: dict[str, Any]) -> list[tuple[str, str]]:
    """Every integer input of ``op`` as (location, name): path, query or body property."""
    found = [
        (p["in"], p["name"])
        for p in op.get("parameters", [])
        if p["in"] in ("path", "query") and _is_integer(doc, p["schema"])
    ]
    if "requestBody" in op:
        body = _resolve(doc, op["requestBody"]["content"]["application/json"]["schema"])
        found += [
            ("body", name)
            for name, schema in body.get("properties", {}).items()
            if _is_integer(doc, schema)
        ]
    return found


def _minimal_body(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    if "requestBody" not in op:
        return None
    body = _resolve(doc, op["requestBody"]["content"]["application/json"]["schema"])
    return {key: _minimal(doc, body["properties"][key]) for key in body.get("required", [])}


def test_integers_past_64_bits_get_a_4xx_not_a_500(
    client: TestClient, admin: dict[str, str]
) -> None:
    """Every integer input of every operation, at +-2**64, with real objects in the path."""
    doc = client.get("/openapi.json").json()
    real = _seed(client, admin)[0]
    tried = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            for location, name in _integer_inputs(doc, op):
                for value in (HUGE, -HUGE):
                    params = {key: real[key] for key in names}
                    query: dict[str, Any] = {}
                    body = _minimal_body(doc, op)
                    if location == "path":
                        params[name] = value
                    elif location == "query":
                        query[name] = value
                    else:
                        assert body is not None
                        body[name] = value
                    url = path.format(**params)
                    answer = client.request(method, url, params=query, json=body, headers=admin)
                    label = f"{method.upper()} {url} {query} {body} -> {answer.text[:300]}"
                    assert_good_answer(answer, label, authenticated=True)
                    tried.append(f"{method.upper()} {path} {location}.{name}")
    # The bugs were in these; make sure the walk still reaches them.
    for expected in (
        "POST /api/workflows/{workflow_id}/promote body.version",
        "POST /api/workflows/{workflow_id}/runs body.version",
        "POST /api/workflows/{workflow_id}/runs/batch body.version",
        "GET /api/runs/{run_id}/events query.after_seq",
    ):
        assert expected in tried, expected


def test_a_page_cursor_holding_a_huge_number_is_422_naming_the_cursor(
    client: TestClient, admin: dict[str, str]
) -> None:
    # Valid base64 of valid JSON, but float() of its 310-digit integer overflows.
    forged = base64.urlsafe_b64encode(b"[1" + b"0" * 309 + b',"x"]').decode().rstrip("=")
    for path in ("/api/workflows", "/api/runs"):
        answer = client.get(path, params={"cursor": forged}, headers=admin)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"] == {"field": "cursor"}


def test_a_body_that_is_not_utf8_is_400_naming_the_body(
    client: TestClient, admin: dict[str, str]
) -> None:
    answer = client.post(
        "/api/workflows",
        content=b"\xad]",
        headers={**admin, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_request"
    assert answer.json()["error"]["details"] == {"field": "body"}


def test_running_a_workflow_without_versions_names_the_version_field(
    client: TestClient, admin: dict[str, str]
) -> None:
    empty = client.post("/api/workflows", json={"name": "Empty"}, headers=admin).json()["id"]
    answer = client.post(f"/api/workflows/{empty}/runs", json={}, headers=admin)
    assert answer.status_code == 422
    assert "no version yet" in answer.json()["error"]["message"]
    assert answer.json()["error"]["details"]["field"] == "version"


def test_waiting_for_a_run_answers_with_a_documented_status(
    client: TestClient, admin: dict[str, str]
) -> None:
    wid = create_workflow(client, admin)["id"]
    answer = client.post(f"/api/workflows/{wid}/runs", json={"wait": True}, headers=admin)
    assert answer.status_code == 200 and answer.json()["status"] == "succeeded"
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    operation = schema["/api/workflows/{workflow_id}/runs"]["POST"]
    case = operation.Case(path_parameters={"workflow_id": wid}, body={"wait": True})
    case.validate_response(answer, checks=CHECKS)


def test_websocket_after_seq_past_64_bits_is_an_error_not_a_dead_subscription(
    client: TestClient, admin: dict[str, str]
) -> None:
    wid = create_workflow(client, admin)["id"]
    run = client.post(f"/api/workflows/{wid}/runs", json={"wait": True}, headers=admin).json()
    with client.websocket_connect("/ws", headers=admin) as ws:
        ws.send_json({"type": "subscribe", "run_id": run["id"], "after_seq": HUGE})
        message = ws.receive_json()
        assert message["type"] == "error", message
        assert message["error"]["details"] == {"field": "after_seq"}
        ws.send_json({"type": "subscribe", "run_id": run["id"], "after_seq": 0})
        assert ws.receive_json()["type"] == "subscribed"


def test_an_edge_from_an_unknown_node_to_the_end_is_422_not_500(
    client: TestClient, admin: dict[str, str]
) -> None:
    # The cycle check once looked the unknown source up among the nodes: a KeyError.
    spec = copy.deepcopy(SIMPLE_SPEC)
    spec["edges"].append({"source": "ghost", "target": "__end__"})
    answer = client.post("/api/workflows", json={"name": "x", "spec": spec}, headers=admin)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["error"]["details"]["problems"]
    assert problem["loc"] == "edges[1].source" and problem["code"] == "dangling_edge"
