from __future__ import annotations

import base64
import socket

import pytest
from pydantic import ValidationError

from orcheo_core.errors import CredentialError, HttpRequestError
from orcheo_core.nodes import transport
from orcheo_core.nodes.http_request import HttpRequestNode


async def call(harness, cfg: dict, credentials: dict | None = None) -> dict:
    config = HttpRequestNode.config_model.model_validate(cfg)
    update = await HttpRequestNode(config).run({}, harness.ctx(credentials))
    return update[config.output]


async def test_get_with_query_and_headers(harness, echo_server) -> None:
    res = await call(
        harness,
        {
            "url": f"{echo_server}/items",
            "query": {"page": 2, "tag": ["a", "b"], "on": True, "skip": None},
            "headers": {"Accept": "application/json"},
        },
    )
    assert res["status"] == 200
    assert res["headers"]["content-type"] == "application/json"
    echo = res["body"]
    assert echo["method"] == "GET" and echo["path"] == "/items"
    assert echo["query"] == {"page": ["2"], "tag": ["a", "b"], "on": ["true"]}
    assert echo["headers"]["accept"] == "application/json"
    assert echo["headers"]["user-agent"] == transport.user_agent()
    assert transport.user_agent() == "orcheo/0.1.0"


async def test_query_in_the_url_is_kept_and_merged_with_query(harness, echo_server) -> None:
    only_url = await call(harness, {"url": f"{echo_server}/items?page=3&tag=x"})
    assert only_url["body"]["query"] == {"page": ["3"], "tag": ["x"]}
    both = await call(harness, {"url": f"{echo_server}/items?tag=x", "query": {"page": 4}})
    assert both["body"]["query"] == {"tag": ["x"], "page": ["4"]}


async def test_json_body(harness, echo_server) -> None:
    res = await call(
        harness,
        {
            "method": "POST",
            "url": echo_server,
            "body_type": "json",
            "body": {"name": "Zoë", "n": [1, 2]},
        },
    )
    echo = res["body"]
    assert echo["headers"]["content-type"] == "application/json"
    assert __import__("json").loads(echo["body"]) == {"name": "Zoë", "n": [1, 2]}


async def test_form_body(harness, echo_server) -> None:
    res = await call(
        harness,
        {"method": "PUT", "url": echo_server, "body_type": "form", "body": {"a": "1 2", "b": True}},
    )
    echo = res["body"]
    assert echo["method"] == "PUT"
    assert echo["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert echo["body"] == "a=1+2&b=true"


async def test_raw_body_is_sent_as_is_as_text(harness, echo_server) -> None:
    res = await call(
        harness, {"method": "PATCH", "url": echo_server, "body_type": "raw", "body": "<x>1</x>"}
    )
    assert res["body"]["body"] == "<x>1</x>"
    assert res["body"]["headers"]["content-type"] == "text/plain; charset=utf-8"
    res = await call(
        harness,
        {
            "method": "POST",
            "url": echo_server,
            "body_type": "raw",
            "body": "<x/>",
            "headers": {"Content-Type": "application/xml"},
        },
    )
    assert res["body"]["headers"]["content-type"] == "application/xml"


@pytest.mark.parametrize(
    ("auth", "ref", "header", "expected"),
    [
        ("bearer", "bearer-ref", "authorization", "Bearer tok-123"),
        (
            "basic",
            "basic-ref",
            "authorization",
            "Basic " + base64.b64encode(b"ada:s3cret").decode(),
        ),
        ("api_key", "apikey-ref", "x-custom-key", "key-456"),
        ("api_key", "apikey-default-ref", "x-api-key", "key-789"),
    ],
)
async def test_auth_from_the_credential_in_the_auth_slot(
    harness, echo_server, auth, ref, header, expected
) -> None:
    res = await call(harness, {"url": echo_server, "auth": auth}, credentials={"auth": ref})
    assert res["body"]["headers"][header] == expected


async def test_auth_without_a_bound_credential_is_a_credential_error(harness, echo_server) -> None:
    with pytest.raises(CredentialError, match="no credential in slot 'auth'"):
        await call(harness, {"url": echo_server, "auth": "bearer"})
    with pytest.raises(CredentialError, match="needs the credential field 'token'"):
        await call(
            harness, {"url": echo_server, "auth": "bearer"}, credentials={"auth": "basic-ref"}
        )


async def test_error_status_fails_with_method_url_status_and_body(harness, echo_server) -> None:
    with pytest.raises(HttpRequestError) as info:
        await call(harness, {"method": "DELETE", "url": f"{echo_server}/status/404"})
    message = info.value.message
    assert f"DELETE {echo_server}/status/404 returned 404 Not Found" in message
    assert "no such thing here" in message
    assert info.value.details["status"] == 404


async def test_error_status_is_returned_when_fail_on_status_is_off(harness, echo_server) -> None:
    res = await call(harness, {"url": f"{echo_server}/status/503", "fail_on_status": False})
    assert res["status"] == 503
    assert res["body"] == {"error": "no such thing here"}


async def test_response_formats(harness, echo_server) -> None:
    assert (await call(harness, {"url": f"{echo_server}/text"}))["body"] == "plain words"
    as_text = await call(harness, {"url": echo_server, "response_format": "text"})
    assert as_text["body"].startswith('{"method": "GET"')
    with pytest.raises(HttpRequestError, match="not valid JSON"):
        await call(harness, {"url": f"{echo_server}/text", "response_format": "json"})
    head = await call(harness, {"method": "HEAD", "url": echo_server})
    assert head["status"] == 200 and head["body"] is None


async def test_slow_server_times_out_with_a_clear_message(harness, echo_server) -> None:
    with pytest.raises(HttpRequestError, match=r"GET .*/sleep/2 timed out after 0.3s"):
        await call(harness, {"url": f"{echo_server}/sleep/2", "timeout": 0.3})


async def test_connection_refused_is_a_clear_error(harness) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(HttpRequestError, match="could not connect \\(connection refused\\)"):
        await call(harness, {"url": f"http://127.0.0.1:{port}/x"})


@pytest.mark.parametrize("url", ["ftp://example.com/file", "example.com/items", "http://"])
def test_url_must_be_http_or_https(url: str) -> None:
    with pytest.raises(ValidationError, match="must be a full http:// or https:// address"):
        HttpRequestNode.config_model.model_validate({"url": url})


def test_config_contract() -> None:
    model = HttpRequestNode.config_model
    assert model.model_validate({"url": "{{ state.base }}/x"}).url == "{{ state.base }}/x"
    with pytest.raises(ValidationError, match="body_type is 'none'"):
        model.model_validate({"url": "http://h", "body": {"a": 1}})
    with pytest.raises(ValidationError, match="form' needs the body to be fields"):
        model.model_validate({"url": "http://h", "body_type": "form", "body": "a=1"})
    assert HttpRequestNode.writes(model.model_validate({"url": "http://h"})) == {"response"}
    assert HttpRequestNode.credential_types == ("http_bearer", "http_basic", "http_api_key")


async def test_transport_refuses_oversized_responses(echo_server) -> None:
    with pytest.raises(HttpRequestError, match="returned more than"):
        await transport.send("GET", echo_server, max_bytes=10)
