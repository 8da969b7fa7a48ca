"""A webhook request: method and size checks, run inputs from the request, the reply."""

from __future__ import annotations

import json

import pytest

from orcheo_core.spec.models import WebhookResponse
from orcheo_core.triggers import (
    InvalidWebhookBodyError,
    MethodNotAllowedError,
    WebhookPayloadTooLargeError,
    accepted_reply,
    check_body_size,
    check_method,
    output_reply,
    static_reply,
    webhook_inputs,
)

JSON = {"Content-Type": "application/json"}


def _inputs(body: bytes, content_type: str | None = None, **kw: object) -> dict[str, object]:
    headers = kw.pop("headers", {})
    query = kw.pop("query", {})
    return webhook_inputs("POST", "/hooks/wf", query, headers, body, content_type)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- checks


def test_allowed_methods_pass_in_any_case() -> None:
    check_method("POST", ["POST"])
    check_method("put", ["POST", "PUT"])


def test_other_methods_get_405_listing_the_allowed_verbs() -> None:
    with pytest.raises(MethodNotAllowedError) as info:
        check_method("get", ["POST", "PUT"])
    error = info.value
    assert (error.code, error.http_status) == ("method_not_allowed", 405)
    assert error.message == "method GET is not allowed for this webhook; use POST or PUT"
    assert error.details == {"method": "GET", "allowed": ["POST", "PUT"]}


def test_body_size_limit() -> None:
    check_body_size(1024, 1024)
    with pytest.raises(WebhookPayloadTooLargeError) as info:
        check_body_size(1025, 1024)
    assert (info.value.code, info.value.http_status) == ("payload_too_large", 413)
    assert "body is 1025 bytes, more than this webhook's limit of 1024 bytes" in str(info.value)
    assert "max_body_bytes" in str(info.value)


# ---------------------------------------------------------------------------- inputs


def test_json_body_is_parsed() -> None:
    inputs = webhook_inputs(
        "post",
        "/hooks/wf",
        {"source": "shop"},
        {"Content-Type": "application/json; charset=utf-8", "X-Request-Id": "r1"},
        b'{"order": 42, "items": ["a", "b"]}',
    )
    assert inputs == {
        "method": "POST",
        "path": "/hooks/wf",
        "query": {"source": "shop"},
        "headers": {"content-type": "application/json; charset=utf-8", "x-request-id": "r1"},
        "body": {"order": 42, "items": ["a", "b"]},
    }


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "APPLICATION/JSON", "application/cloudevents+json", "text/json"],
)
def test_json_types(content_type: str) -> None:
    assert _inputs(b"[1, 2]", content_type)["body"] == [1, 2]


def test_a_utf8_bom_and_other_charsets_are_decoded() -> None:
    assert _inputs(b'\xef\xbb\xbf{"a": "\xc3\xa9"}', "application/json")["body"] == {"a": "é"}
    latin1 = '{"a": "é"}'.encode("latin-1")
    assert _inputs(latin1, "application/json; charset=ISO-8859-1")["body"] == {"a": "é"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"order": 42', "Expecting ',' delimiter: line 1 column 13 (char 12)"),
        (b"not json", "Expecting value: line 1 column 1 (char 0)"),
        (b'{"a": NaN}', "NaN is not a JSON value"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": "\xff"}', "can't decode byte 0xff"),
    ],
)
def test_invalid_json_is_a_clear_400(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidWebhookBodyError) as info:
        _inputs(body, "application/json")
    error = info.value
    assert (error.code, error.http_status) == ("invalid_body", 400)
    assert error.message.startswith("body is not valid JSON (")
    assert reason in error.message
    assert "send another Content-Type" in error.message


def test_an_empty_body_is_none_whatever_its_type() -> None:
    assert _inputs(b"", "application/json")["body"] is None
    assert _inputs(b"")["body"] is None


def test_a_form_becomes_fields_with_repeats_as_lists() -> None:
    body = b"name=Ada+Lovelace&tag=a&tag=b&empty=&city=Z%C3%BCrich"
    inputs = _inputs(body, "application/x-www-form-urlencoded")
    assert inputs["body"] == {
        "name": "Ada Lovelace",
        "tag": ["a", "b"],
        "empty": "",
        "city": "Zürich",
    }


def test_other_bodies_are_text() -> None:
    assert _inputs(b"hello\nworld", "text/plain")["body"] == "hello\nworld"
    assert _inputs(b"<a/>", "application/xml")["body"] == "<a/>"
    assert _inputs("grüße".encode("latin-1"), "text/plain; charset=latin-1")["body"] == "grüße"
    assert _inputs("grüße".encode(), None)["body"] == "grüße"
    assert _inputs(b"\xff\xfe-raw", "application/octet-stream")["body"] == "\ufffd\ufffd-raw"
    assert _inputs(b"x", "text/plain; charset=no-such-codec")["body"] == "x"


def test_content_type_comes_from_the_headers_unless_given() -> None:
    assert _inputs(b'{"a": 1}', headers={"content-type": "application/json"})["body"] == {"a": 1}
    assert _inputs(b'{"a": 1}', "text/plain", headers=JSON)["body"] == '{"a": 1}'


def test_credential_headers_never_reach_the_workflow() -> None:
    headers = [
        ("Authorization", "Bearer tok"),
        ("Proxy-Authorization", "Basic x"),
        ("Cookie", "session=1"),
        ("X-Orcheo-Signature", "t=1,v1=00"),
        ("User-Agent", "shop/1.0"),
        ("Accept", "text/html"),
        ("accept", "application/json"),
    ]
    assert _inputs(b"", headers=headers)["headers"] == {
        "user-agent": "shop/1.0",
        "accept": "text/html, application/json",  # repeats mean the comma-joined value
    }


def test_query_repeats_become_lists_from_a_mapping_or_pairs() -> None:
    pairs = [("a", "1"), ("b", "2"), ("a", "3")]
    assert _inputs(b"", query=pairs)["query"] == {"a": ["1", "3"], "b": "2"}
    assert _inputs(b"", query={"a": ["1", "3"], "b": ["2"], "c": ""})["query"] == {
        "a": ["1", "3"],
        "b": "2",
        "c": "",
    }


# ---------------------------------------------------------------------------- replies


def _json(body: bytes) -> object:
    return json.loads(body)


def test_accepted_reply_is_202_with_the_run_id() -> None:
    reply = accepted_reply(WebhookResponse(), "run-1")
    assert (reply.status_code, reply.content_type) == (202, "application/json")
    assert _json(reply.body) == {"run_id": "run-1"}
    assert accepted_reply(WebhookResponse(status_code=200), "run-1").status_code == 200


def test_static_reply_sends_the_configured_answer() -> None:
    text = static_reply(WebhookResponse(mode="static", body="OK"))
    assert (text.status_code, text.content_type, text.body) == (
        200,
        "text/plain; charset=utf-8",
        b"OK",
    )
    html = static_reply(WebhookResponse(mode="static", body="<p>hi</p>", content_type="text/html"))
    assert (html.content_type, html.body) == ("text/html", b"<p>hi</p>")
    data = static_reply(WebhookResponse(mode="static", status_code=201, body={"ok": True}))
    assert (data.status_code, data.content_type, _json(data.body)) == (
        201,
        "application/json",
        {"ok": True},
    )
    empty = static_reply(WebhookResponse(mode="static", status_code=204))
    assert (empty.status_code, empty.content_type, empty.body) == (204, None, b"")
    quoted = static_reply(
        WebhookResponse(mode="static", body="OK", content_type="application/json")
    )
    assert _json(quoted.body) == "OK"


def test_output_reply_answers_with_the_final_state_or_one_key() -> None:
    wait = WebhookResponse(mode="wait")
    state = {"order": 42, "reply": {"accepted": True}}
    whole = output_reply(wait, run_id="r", status="succeeded", state=state)
    assert (whole.status_code, _json(whole.body)) == (200, state)
    keyed = WebhookResponse(mode="wait", output_key="reply", status_code=201)
    one = output_reply(keyed, run_id="r", status="succeeded", state=state)
    assert (one.status_code, _json(one.body)) == (201, {"accepted": True})
    page = WebhookResponse(mode="wait", output_key="html", content_type="text/html")
    html = output_reply(page, run_id="r", status="succeeded", state={"html": "<b>hi</b>"})
    assert (html.content_type, html.body) == ("text/html", b"<b>hi</b>")


def test_output_reply_when_the_output_key_is_missing() -> None:
    keyed = WebhookResponse(mode="wait", output_key="reply")
    reply = output_reply(keyed, run_id="r", status="succeeded", state={"other": 1})
    assert reply.status_code == 500
    body = _json(reply.body)
    assert body["error"]["code"] == "missing_output"  # type: ignore[index]
    assert "'reply'" in body["error"]["message"]  # type: ignore[index]


def test_output_reply_while_running_and_after_failure() -> None:
    wait = WebhookResponse(mode="wait")
    running = output_reply(wait, run_id="r", status="running")
    assert (running.status_code, _json(running.body)) == (202, {"run_id": "r", "status": "running"})
    error = {"code": "node_failed", "message": "node 'call' failed: 401 from https://internal"}
    failed = output_reply(wait, run_id="r", status="failed", error=error)
    assert failed.status_code == 500
    # the public caller learns the code, not the message (it may name internals)
    assert _json(failed.body) == {
        "run_id": "r",
        "status": "failed",
        "error": {"code": "node_failed"},
    }
    cancelled = output_reply(wait, run_id="r", status="cancelled")
    assert _json(cancelled.body) == {
        "run_id": "r",
        "status": "cancelled",
        "error": {"code": "cancelled"},
    }
