"""Workflows and versions through the HTTP API, on the real local stack in-process."""

from __future__ import annotations

import copy
from typing import Any

from starlette.testclient import TestClient

from tests.functional.api.conftest import SIMPLE_SPEC, create_workflow


def _spec_v2() -> dict[str, Any]:
    spec = copy.deepcopy(SIMPLE_SPEC)
    spec["nodes"][0]["config"]["values"]["greeting"] = "Hi {{ state.name }}"
    spec["nodes"].append(
        {"id": "shout", "type": "set_variable", "config": {"values": {"loud": True}}}
    )
    spec["state"]["loud"] = {"default": False}
    spec["edges"] = [
        {"source": "greet", "target": "shout"},
        {"source": "shout", "target": "__end__"},
    ]
    return spec


def test_create_get_list_update_archive_delete(client: TestClient, admin: dict[str, str]) -> None:
    created = create_workflow(client, admin)
    assert created["current_version"] == 1 and created["latest_version"] == 1
    wid = created["id"]

    assert client.get(f"/api/workflows/{wid}", headers=admin).json()["name"] == "Greeter"
    listed = client.get("/api/workflows", params={"q": "greet"}, headers=admin).json()
    assert [w["id"] for w in listed["items"]] == [wid]

    revision = created["revision"]
    renamed = client.patch(
        f"/api/workflows/{wid}", json={"revision": revision, "name": "Hello"}, headers=admin
    )
    assert renamed.status_code == 200 and renamed.json()["revision"] == revision + 1
    stale = client.patch(
        f"/api/workflows/{wid}", json={"revision": revision, "name": "Lost"}, headers=admin
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert "reload" in stale.json()["error"]["message"]

    archived = client.post(f"/api/workflows/{wid}/archive", headers=admin).json()
    assert archived["archived"] is True
    assert client.get("/api/workflows", headers=admin).json()["items"] == []
    everything = client.get("/api/workflows", params={"include_archived": True}, headers=admin)
    assert len(everything.json()["items"]) == 1
    refused = client.post(f"/api/workflows/{wid}/runs", json={}, headers=admin)
    assert refused.status_code == 409 and "archived" in refused.json()["error"]["message"]

    assert client.delete(f"/api/workflows/{wid}", headers=admin).status_code == 204
    missing = client.get(f"/api/workflows/{wid}", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": f"no workflow {wid!r}",
        "details": {"workflow_id": wid},
    }


def test_versions_diff_promote_and_rollback(client: TestClient, admin: dict[str, str]) -> None:
    wid = create_workflow(client, admin)["id"]
    v2 = client.post(
        f"/api/workflows/{wid}/versions",
        json={"spec": _spec_v2(), "note": "add shout", "base_version": 1},
        headers=admin,
    )
    assert v2.status_code == 201 and v2.json()["number"] == 2
    assert client.get(f"/api/workflows/{wid}", headers=admin).json()["current_version"] == 1

    conflict = client.post(
        f"/api/workflows/{wid}/versions",
        json={"spec": _spec_v2(), "base_version": 1},
        headers=admin,
    )
    assert conflict.status_code == 409
    assert conflict.json()["error"]["details"]["latest_version"] == 2

    versions = client.get(f"/api/workflows/{wid}/versions", headers=admin).json()
    assert [(v["number"], v["note"]) for v in versions] == [
        (1, "created with the workflow"),
        (2, "add shout"),
    ]

    diff = client.get(f"/api/workflows/{wid}/diff?from=1&to=2", headers=admin).json()
    assert diff["nodes"]["added"] == ["shout"]
    assert [c["id"] for c in diff["nodes"]["changed"]] == ["greet"]
    assert diff["edges"]["added"] and diff["edges"]["removed"]

    promoted = client.post(f"/api/workflows/{wid}/promote", json={"version": 2}, headers=admin)
    assert promoted.json()["current_version"] == 2
    run = client.post(f"/api/workflows/{wid}/runs", json={"wait": True}, headers=admin).json()
    assert run["version"] == 2 and run["state"]["loud"] is True

    back = client.post(f"/api/workflows/{wid}/promote", json={"version": 1}, headers=admin)
    assert back.json()["current_version"] == 1
    run = client.post(f"/api/workflows/{wid}/runs", json={"wait": True}, headers=admin).json()
    assert run["version"] == 1 and run["state"]["greeting"] == "Hello world"

    nope = client.post(f"/api/workflows/{wid}/promote", json={"version": 9}, headers=admin)
    assert nope.status_code == 404 and "versions 1 to 2" in nope.json()["error"]["message"]


def test_invalid_spec_lists_every_problem_with_its_location(
    client: TestClient, admin: dict[str, str]
) -> None:
    spec = copy.deepcopy(SIMPLE_SPEC)
    spec["nodes"].append({"id": "bad", "type": "set_variabel", "config": {}})
    spec["edges"].append({"source": "greet", "target": "nowhere"})
    answer = client.post("/api/workflows", json={"name": "x", "spec": spec}, headers=admin)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_spec"
    locations = {p["loc"] for p in error["details"]["problems"]}
    assert "nodes[bad].type" in locations
    assert any(loc.startswith("edges[") for loc in locations)
    assert client.get("/api/workflows", headers=admin).json()["items"] == []


def test_export_then_import_recreates_every_version(
    client: TestClient, admin: dict[str, str]
) -> None:
    wid = create_workflow(client, admin)["id"]
    client.post(f"/api/workflows/{wid}/versions", json={"spec": _spec_v2()}, headers=admin)
    exported = client.get(f"/api/workflows/{wid}/export", headers=admin).json()
    assert exported["format"] == "orcheo.workflow/v1" and len(exported["versions"]) == 2

    taken = client.post("/api/workflows/import", json={"document": exported}, headers=admin)
    assert taken.status_code == 409

    imported = client.post(
        "/api/workflows/import",
        json={"document": exported, "workflow_id": "copy-1"},
        headers=admin,
    )
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert (body["id"], body["latest_version"], body["current_version"]) == ("copy-1", 2, 1)
    original = client.get(f"/api/workflows/{wid}/versions/2", headers=admin).json()
    copied = client.get("/api/workflows/copy-1/versions/2", headers=admin).json()
    assert copied["spec"] == original["spec"]

    broken = copy.deepcopy(exported)
    broken["versions"][1]["spec"]["nodes"][0]["type"] = "nope"
    refused = client.post(
        "/api/workflows/import", json={"document": broken, "workflow_id": "copy-2"}, headers=admin
    )
    assert refused.status_code == 422
    assert client.get("/api/workflows/copy-2", headers=admin).status_code == 404


def test_node_catalog_has_metadata_and_config_schema(
    client: TestClient, admin: dict[str, str]
) -> None:
    catalog = client.get("/api/nodes", headers=admin).json()
    by_type = {entry["type"]: entry for entry in catalog}
    assert "http_request" in by_type and "if_else" in by_type
    entry = by_type["set_variable"]
    assert entry["category"] == "data"
    assert entry["config_schema"]["properties"]["values"]["type"] == "object"


def test_health_is_public_and_version_is_not(client: TestClient, admin: dict[str, str]) -> None:
    health = client.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert client.get("/api/version").status_code == 401
    assert client.get("/api/version", headers=admin).json()["api"] == "1"


def test_unknown_route_and_bad_body_are_json_errors(
    client: TestClient, admin: dict[str, str]
) -> None:
    nowhere = client.get("/api/nowhere", headers=admin)
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "not_found"
    bad = client.post("/api/workflows", json={"name": ""}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["errors"][0]["field"] == "body.name"
    extra = client.post("/api/workflows", json={"name": "x", "nmae": 1}, headers=admin)
    assert extra.status_code == 422 and "body.nmae" in extra.json()["error"]["message"]
    not_json = client.post(
        "/api/workflows",
        content=b"{not json",
        headers={**admin, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422 and not_json.json()["error"]["code"] == "validation_error"


def test_body_over_the_limit_is_413(client: TestClient, admin: dict[str, str]) -> None:
    limit = client.app.state.services.settings.max_body_bytes  # type: ignore[attr-defined]
    huge = {"name": "x", "description": "y" * (limit + 10)}
    answer = client.post("/api/workflows", json=huge, headers=admin)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
