"""/api/credentials: CRUD with masked previews, the test call, and what is really stored.

The secret must never come back: every answer of these tests is searched for it. The
stored row and the database file must hold ciphertext only, and a ciphertext must not
open under another credential's id or scope.
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from functions.service import credentials as credential_logic
from orcheo_core.vault import CredentialContextMismatchError
from tests.functional.api.conftest import create_workflow, make_token
from tests.functional.api.echo_server import EchoServer, echo_server

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.testclient import TestClient

    from functions.local import LocalStack

TOKEN = "sk-" + secrets.token_hex(16)
PASSWORD = "pw+/" + secrets.token_hex(10)


class Recorder:
    """Every answer the test got, to search for secrets at the end."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self.texts: list[str] = []

    def __call__(self, method: str, url: str, **kwargs: Any) -> Any:
        answer = self.client.request(method, url, headers=self.headers, **kwargs)
        self.texts.append(answer.text)
        return answer

    def assert_no_secret(self, *values: str) -> None:
        text = "\n".join(self.texts)
        assert self.texts
        for value in values:
            for form in (value, base64.b64encode(value.encode()).decode()):
                assert form not in text


@pytest.fixture
def api(client: TestClient, admin: dict[str, str]) -> Recorder:
    return Recorder(client, admin)


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with echo_server() as server:
        yield server


def bearer(api: Recorder, name: str = "github", **fields: Any) -> dict[str, Any]:
    body = {"name": name, "type": "http_bearer", "secret": {"token": TOKEN}, **fields}
    answer = api("POST", "/api/credentials", json=body)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_credential_crud_shows_a_masked_preview_and_never_the_secret(api: Recorder) -> None:
    created = bearer(api, settings={"test_url": "https://api.example.com/me"})
    assert created["id"].startswith("cred_")
    assert created["preview"] == f"sk-…{TOKEN[-4:]}"
    assert created["fields"] == ["token"]
    assert created["settings"] == {"test_url": "https://api.example.com/me"}
    assert created["scope"] == "global" and created["revision"] == 1
    assert "secret" not in created

    assert api("GET", "/api/credentials").json() == [created]
    assert api("GET", f"/api/credentials/{created['id']}").json() == created

    renamed = api(
        "PATCH", f"/api/credentials/{created['id']}", json={"revision": 1, "name": "gh"}
    ).json()
    assert renamed["name"] == "gh" and renamed["revision"] == 2
    assert renamed["preview"] == created["preview"]

    rotated = api(
        "PATCH",
        f"/api/credentials/{created['id']}",
        json={"revision": 2, "secret": {"token": "ghp_" + "x" * 30 + "9876"}},
    ).json()
    assert rotated["preview"] == "ghp_…9876" and rotated["revision"] == 3

    stale = api("PATCH", f"/api/credentials/{created['id']}", json={"revision": 2, "name": "x"})
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["revision"] == 3

    assert api("DELETE", f"/api/credentials/{created['id']}").status_code == 204
    gone = api("GET", f"/api/credentials/{created['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert api("DELETE", f"/api/credentials/{created['id']}").status_code == 404
    api.assert_no_secret(TOKEN)


def test_the_types_are_listed_with_their_fields(api: Recorder) -> None:
    types = {t["type"]: t for t in api("GET", "/api/credentials/types").json()}
    assert {"http_bearer", "http_basic", "http_api_key", "api_key", "generic"} <= set(types)
    assert types["http_basic"]["secret_fields"] == ["password"]
    assert types["http_basic"]["required_settings"] == ["username"]
    assert types["http_api_key"]["setting_defaults"] == {"header": "X-API-Key"}
    assert types["generic"]["any_secret_fields"] and not types["generic"]["testable"]


def test_a_taken_name_is_409(api: Recorder) -> None:
    bearer(api, "one")
    other = bearer(api, "two")
    again = api(
        "POST",
        "/api/credentials",
        json={"name": "one", "type": "api_key", "secret": {"key": "k" * 20}},
    )
    assert again.status_code == 409 and "'one' already exists" in again.json()["error"]["message"]
    rename = api("PATCH", f"/api/credentials/{other['id']}", json={"revision": 1, "name": "one"})
    assert rename.status_code == 409
    assert [c["name"] for c in api("GET", "/api/credentials").json()] == ["one", "two"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "oauth9", "secret": {"token": TOKEN}}, "type"),
        ({"type": "http_bearer", "secret": {}}, "secret"),
        ({"type": "http_bearer", "secret": {"tokn": TOKEN}}, "secret.tokn"),
        ({"type": "http_bearer", "secret": {"token": "abc"}}, "secret.token"),
        ({"type": "http_basic", "secret": {"password": PASSWORD}}, "settings.username"),
        (
            {"type": "http_api_key", "secret": {"value": TOKEN}, "settings": {"header": "a b"}},
            "settings.header",
        ),
        ({"type": "generic", "secret": {"9lives": TOKEN}}, "secret"),
    ],
)
def test_an_invalid_credential_is_422_naming_the_field(
    api: Recorder, body: dict[str, Any], field: str
) -> None:
    answer = api("POST", "/api/credentials", json={"name": "bad", **body})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "unprocessable" and error["details"]["field"] == field
    assert "abc" not in error["message"]  # a too-short secret is not quoted back
    assert api("GET", "/api/credentials").json() == []
    api.assert_no_secret(TOKEN, PASSWORD)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "type": "http_bearer", "secret": {"token": 123456}}, "body.secret.token"),
        ({"name": "x", "type": "http_bearer", "secret": {}, "scope": "team"}, "body.scope"),
        ({"type": "http_bearer", "secret": {"token": TOKEN}}, "body.name"),
        ({"name": "x", "type": "api_key", "secret": {"key": TOKEN}, "x": 1}, "body.x"),
    ],
)
def test_a_malformed_body_is_422_naming_the_field(
    api: Recorder, body: dict[str, Any], field: str
) -> None:
    answer = api("POST", "/api/credentials", json=body)
    assert answer.status_code == 422, answer.text
    fields = [e["field"] for e in answer.json()["error"]["details"]["errors"]]
    assert field in fields
    api.assert_no_secret(TOKEN)


def test_reading_needs_read_and_writing_needs_admin(client: TestClient, api: Recorder) -> None:
    created = bearer(api)
    reader = make_token(client, api.headers, "read")
    runner = make_token(client, api.headers, "run")
    listed = client.get("/api/credentials", headers=reader)
    assert listed.status_code == 200 and listed.json()[0]["id"] == created["id"]
    for method, url, body in [
        ("POST", "/api/credentials", {"name": "n", "type": "api_key", "secret": {"key": TOKEN}}),
        ("PATCH", f"/api/credentials/{created['id']}", {"revision": 1, "name": "n"}),
        ("DELETE", f"/api/credentials/{created['id']}", None),
        ("POST", f"/api/credentials/{created['id']}/test", {"url": "http://127.0.0.1:9/"}),
    ]:
        answer = client.request(method, url, json=body, headers=runner)
        assert answer.status_code == 403, (method, url, answer.text)
        assert answer.json()["error"]["details"]["needed"] == "admin"


def test_the_test_call_signs_a_request_and_reports_the_status(
    api: Recorder, echo: EchoServer
) -> None:
    good = bearer(api, "good", settings={"test_url": f"{echo.url}/me"})
    answer = api("POST", f"/api/credentials/{good['id']}/test", json={})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["ok"] is True and result["status"] == 200
    assert "accepted" in result["message"]
    assert echo.requests[-1]["headers"]["Authorization"] == f"Bearer {TOKEN}"

    # An endpoint that wants another token refuses it.
    refused = api(
        "POST",
        f"/api/credentials/{good['id']}/test",
        json={"url": f"{echo.url}/me?need=Bearer%20other", "method": "POST"},
    ).json()
    assert refused["ok"] is False and refused["status"] == 401
    assert "refused" in refused["message"] and echo.requests[-1]["method"] == "POST"

    key = api(
        "POST",
        "/api/credentials",
        json={
            "name": "key",
            "type": "http_api_key",
            "secret": {"value": PASSWORD},
            "settings": {"header": "X-Custom-Key"},
        },
    ).json()
    keyed = api(
        "POST",
        f"/api/credentials/{key['id']}/test",
        json={"url": f"{echo.url}/?need={quote(PASSWORD, safe='')}"},
    ).json()
    assert keyed["ok"] is True, keyed
    assert echo.requests[-1]["headers"]["X-Custom-Key"] == PASSWORD
    # The URL carried the secret: the answer shows it redacted.
    assert keyed["url"] == f"{echo.url}/?need=[REDACTED]"

    down = api(
        "POST", f"/api/credentials/{good['id']}/test", json={"url": "http://127.0.0.1:9/"}
    ).json()
    assert down["ok"] is False and down["status"] is None
    assert "could not connect" in down["message"]
    api.assert_no_secret(TOKEN, PASSWORD)


def test_the_test_call_needs_a_url_and_an_http_type(api: Recorder) -> None:
    plain = bearer(api)
    answer = api("POST", f"/api/credentials/{plain['id']}/test", json={})
    assert answer.status_code == 422 and answer.json()["error"]["details"]["field"] == "url"
    generic = api(
        "POST",
        "/api/credentials",
        json={"name": "g", "type": "generic", "secret": {"a": TOKEN}},
    ).json()
    answer = api("POST", f"/api/credentials/{generic['id']}/test", json={"url": "http://x.test"})
    assert answer.status_code == 422 and answer.json()["error"]["details"]["field"] == "type"
    missing = api("POST", "/api/credentials/cred_nothing/test", json={})
    assert missing.status_code == 404


def _db_bytes(stack: LocalStack) -> bytes:
    path = stack.settings.db_path
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out = path.read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            out += extra.read_bytes()
    return out


def test_the_store_holds_no_plaintext_and_a_ciphertext_opens_only_for_its_credential(
    stack: LocalStack, api: Recorder
) -> None:
    first = bearer(api, "first")
    second = api(
        "POST",
        "/api/credentials",
        json={
            "name": "second",
            "type": "http_basic",
            "secret": {"password": PASSWORD},
            "settings": {"username": "ada"},
        },
    ).json()
    with sqlite3.connect(stack.settings.db_path) as conn:
        rows = dict(conn.execute("SELECT id, ciphertext FROM credentials").fetchall())
        row_text = json.dumps(
            conn.execute("SELECT * FROM credentials").fetchall(), default=lambda b: b.hex()
        )
    assert set(rows) == {first["id"], second["id"]}
    raw = _db_bytes(stack)
    for secret in (TOKEN, PASSWORD):
        for form in (secret, base64.b64encode(secret.encode()).decode(), secret.encode().hex()):
            assert form.encode() not in raw
            assert form not in row_text
    # The checks above can fail: what is stored is the credential's sealed secret.
    vault = stack.services.vault
    opened = vault.decrypt(rows[first["id"]], credential_id=first["id"], scope="global")
    assert opened == {"token": TOKEN}
    assert b"orcheo:credential_id" in raw and first["id"].encode() in rows[first["id"]]

    with pytest.raises(CredentialContextMismatchError) as mismatch:
        vault.decrypt(rows[first["id"]], credential_id=second["id"], scope="global")
    assert mismatch.value.details["sealed_for"] == {
        "credential_id": first["id"],
        "scope": "global",
    }
    with pytest.raises(CredentialContextMismatchError):
        vault.decrypt(rows[first["id"]], credential_id=first["id"], scope="workflow:other")


def test_a_ciphertext_moved_onto_another_credential_fails_the_run(
    stack: LocalStack, client: TestClient, api: Recorder, echo: EchoServer
) -> None:
    donor = bearer(api, "donor")
    victim = api(
        "POST",
        "/api/credentials",
        json={"name": "victim", "type": "http_bearer", "secret": {"token": "tok-" + "v" * 20}},
    ).json()
    with sqlite3.connect(stack.settings.db_path) as conn:
        conn.execute(
            "UPDATE credentials SET ciphertext = (SELECT ciphertext FROM credentials "
            "WHERE id = ?) WHERE id = ?",
            (donor["id"], victim["id"]),
        )
    workflow = create_workflow(client, api.headers, _http_spec(echo.url, "victim"))
    run = api("POST", f"/api/workflows/{workflow['id']}/runs", json={"wait": True}).json()
    assert run["status"] == "failed"
    assert run["error"]["code"] == "credential_context_mismatch"
    assert donor["id"] in run["error"]["message"]
    assert echo.requests == []  # the request was never sent
    api.assert_no_secret(TOKEN)


def _http_spec(url: str, credential: str) -> dict[str, Any]:
    return {
        "name": "call",
        "nodes": [
            {
                "id": "call",
                "type": "http_request",
                "config": {"url": url, "auth": "bearer", "output": "echo"},
                "credentials": {"auth": credential},
            }
        ],
        "edges": [{"source": "call", "target": "__end__"}],
    }


def test_runs_resolve_by_name_or_id_within_the_scope(
    client: TestClient, api: Recorder, echo: EchoServer
) -> None:
    workflow = create_workflow(client, api.headers, _http_spec(echo.url, "scoped"))
    scoped = bearer(api, "scoped", scope="workflow:someone-else")
    run = api("POST", f"/api/workflows/{workflow['id']}/runs", json={"wait": True}).json()
    assert run["status"] == "failed" and run["error"]["code"] == "credential_error"
    assert "scope 'workflow:someone-else'" in run["error"]["message"]
    assert echo.requests == []

    # Re-scoped to this workflow, the same secret (re-sealed under the new scope) works.
    moved = api(
        "PATCH",
        f"/api/credentials/{scoped['id']}",
        json={"revision": 1, "scope": f"workflow:{workflow['id']}"},
    ).json()
    assert moved["scope"] == f"workflow:{workflow['id']}"
    run = api("POST", f"/api/workflows/{workflow['id']}/runs", json={"wait": True}).json()
    assert run["status"] == "succeeded", run["error"]
    assert echo.requests[-1]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert run["state"]["echo"]["body"]["auth"] == "Bearer [REDACTED]"

    by_id = _http_spec(echo.url, scoped["id"])
    version = api("POST", f"/api/workflows/{workflow['id']}/versions", json={"spec": by_id})
    assert version.status_code == 201
    api("POST", f"/api/workflows/{workflow['id']}/promote", json={"version": 2})
    run = api("POST", f"/api/workflows/{workflow['id']}/runs", json={"wait": True}).json()
    assert run["status"] == "succeeded" and run["version"] == 2

    unknown = create_workflow(client, api.headers, _http_spec(echo.url, "nobody"))
    run = api("POST", f"/api/workflows/{unknown['id']}/runs", json={"wait": True}).json()
    assert run["error"]["code"] == "credential_error"
    assert "no credential with id or name 'nobody'" in run["error"]["message"]
    api.assert_no_secret(TOKEN)


def test_scope_allows_only_global_or_its_own_workflow() -> None:
    assert credential_logic.scope_allows("global", "wf1")
    assert credential_logic.scope_allows("workflow:wf1", "wf1")
    assert not credential_logic.scope_allows("workflow:wf1", "wf10")
