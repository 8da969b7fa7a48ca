"""Triggers in a WorkflowSpec: defaults, old spellings, and each problem at its location."""

from __future__ import annotations

from typing import Any

import pytest

from orcheo_core.spec import CronTrigger, WebhookTrigger, load_spec, validate_spec


def _spec(*triggers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "hooked",
        "nodes": [{"id": "a", "type": "set_variable", "config": {"values": {"x": 1}}}],
        "triggers": list(triggers),
        **extra,
    }


def _errors(*triggers: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(p.loc, p.message, p.code) for p in validate_spec(_spec(*triggers)).errors]


def _warnings(*triggers: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p.loc, p.code) for p in validate_spec(_spec(*triggers)).warnings]


# ---------------------------------------------------------------------------- webhook


def test_webhook_defaults() -> None:
    (hook,) = load_spec(_spec({"type": "webhook"})).triggers
    assert isinstance(hook, WebhookTrigger)
    assert (hook.id, hook.methods, hook.auth) == ("webhook", ["POST"], "hmac")
    assert (hook.input_key, hook.max_body_bytes) == ("webhook", 1024 * 1024)
    assert hook.response.mode == "accepted" and hook.response.status_code is None
    assert hook.response.timeout == 25.0
    assert "secret" not in WebhookTrigger.model_fields  # generated and kept by the service


def test_webhook_full_configuration() -> None:
    data = {
        "type": "webhook",
        "id": "orders",
        "methods": ["post", "PUT", "POST"],
        "auth": "none",
        "response": {"mode": "wait", "output_key": "reply", "status_code": 201, "timeout": 10},
        "input_key": "request",
        "max_body_bytes": 10 * 1024 * 1024,
    }
    (hook,) = load_spec(_spec(data)).triggers
    assert isinstance(hook, WebhookTrigger)
    assert hook.methods == ["POST", "PUT"]  # upper-cased, repeats dropped
    assert (hook.response.mode, hook.response.output_key) == ("wait", "reply")


def test_specs_saved_with_the_old_webhook_fields_still_load() -> None:
    (hook,) = load_spec(
        _spec({"type": "webhook", "signature": "none", "response": "output"})
    ).triggers
    assert isinstance(hook, WebhookTrigger)
    assert (hook.auth, hook.response.mode) == ("none", "wait")
    (hook,) = load_spec(_spec({"type": "webhook", "signature": "hmac-sha256"})).triggers
    assert isinstance(hook, WebhookTrigger) and hook.auth == "hmac"
    (hook,) = load_spec(_spec({"type": "webhook", "response": "static"})).triggers
    assert isinstance(hook, WebhookTrigger) and hook.response.mode == "static"


@pytest.mark.parametrize(
    ("field", "value", "loc", "message"),
    [
        ("methods", ["TRACE"], "methods[0]", "Input should be 'GET', 'POST', 'PUT', 'PATCH'"),
        ("methods", [], "methods", "List should have at least 1 item"),
        ("auth", "basic", "auth", "Input should be 'hmac' or 'none'"),
        ("max_body_bytes", 20 * 1024 * 1024, "max_body_bytes", "less than or equal to 10485760"),
        ("max_body_bytes", 0, "max_body_bytes", "greater than or equal to 1"),
        ("input_key", "web hook", "input_key", "String should match pattern"),
        ("response", {"mode": "later"}, "response.mode", "'accepted', 'static' or 'wait'"),
        ("response", "later", "response.mode", "'accepted', 'static' or 'wait'"),
        (
            "response",
            {"mode": "wait", "timeout": 60},
            "response.timeout",
            "less than or equal to 29",
        ),
        ("response", {"status_code": 99}, "response.status_code", "greater than or equal to 200"),
        ("secret", "whsec_x", "secret", "Extra inputs are not permitted"),
        ("id", "my hook", "id", "String should match pattern"),
    ],
)
def test_webhook_problems_name_the_trigger_and_field(
    field: str, value: Any, loc: str, message: str
) -> None:
    errors = _errors({"type": "webhook", "id": "orders", field: value})
    assert len(errors) == 1, errors
    where, text, _ = errors[0]
    expected_id = "my hook" if field == "id" else "orders"
    assert where == f"triggers[{expected_id}].{loc}"
    assert message in text


def test_a_trigger_without_an_id_is_named_by_its_type() -> None:
    ((loc, _, _),) = _errors({"type": "webhook", "methods": ["TRACE"]})
    assert loc == "triggers[webhook].methods[0]"


def test_a_public_webhook_is_a_warning() -> None:
    assert _warnings({"type": "webhook", "auth": "none"}) == [
        ("triggers[webhook].auth", "public_webhook")
    ]
    assert _warnings({"type": "webhook"}) == []


def test_response_fields_the_mode_ignores_are_warnings() -> None:
    hook = {"type": "webhook", "response": {"body": "OK", "timeout": 5, "content_type": "x/y"}}
    assert _warnings(hook) == [
        ("triggers[webhook].response.body", "unused_field"),
        ("triggers[webhook].response.content_type", "unused_field"),
        ("triggers[webhook].response.timeout", "unused_field"),
    ]
    report = validate_spec(_spec(hook))
    assert report.ok
    assert report.warnings[0].message == (
        "body is ignored in mode 'accepted'; it is used in mode 'static'"
    )
    wait = {"type": "webhook", "response": {"mode": "wait", "output_key": "r", "timeout": 5}}
    assert _warnings(wait) == []


def test_one_webhook_per_workflow() -> None:
    errors = _errors({"type": "webhook", "id": "a"}, {"type": "webhook", "id": "b"})
    assert errors == [
        (
            "triggers[b]",
            "more than one webhook trigger ('a', 'b'); a workflow has one webhook URL, "
            "/hooks/{workflow_id}",
            "duplicate_webhook",
        )
    ]


# ---------------------------------------------------------------------------- cron


def test_cron_defaults() -> None:
    (cron,) = load_spec(_spec({"type": "cron", "expression": "0 2 * * *"})).triggers
    assert isinstance(cron, CronTrigger)
    assert (cron.id, cron.timezone, cron.inputs) == ("cron", "UTC", {})
    assert (cron.overlap, cron.enabled) == ("skip", True)


def test_cron_full_configuration() -> None:
    data = {
        "type": "cron",
        "id": "nightly",
        "expression": "30 2 * * MON-FRI",
        "timezone": "Europe/Berlin",
        "inputs": {"x": 5},
        "overlap": "allow",
        "enabled": False,
    }
    (cron,) = load_spec(_spec(data)).triggers
    assert isinstance(cron, CronTrigger)
    assert (cron.expression, cron.timezone, cron.overlap, cron.enabled) == (
        "30 2 * * MON-FRI",
        "Europe/Berlin",
        "allow",
        False,
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("61 * * * *", "cron field 'minute': 61 is out of range 0-59"),
        ("* * *", "cron expression '* * *' has 3 fields; expected 5"),
        ("@reboot", "unknown cron macro '@reboot'"),
        ("0 0 30 2 *", "cron expression '0 0 30 2 *' never fires: no day 30 or later"),
        ("", "cron expression is empty"),
        ("{x} * * * *", "cron field 'minute': '{x}' is not a number"),
    ],
)
def test_a_bad_expression_is_reported_with_the_cron_message(expression: str, message: str) -> None:
    ((loc, text, code),) = _errors({"type": "cron", "id": "nightly", "expression": expression})
    assert (loc, code) == ("triggers[nightly].expression", "invalid_cron")
    assert text.startswith(message)


def test_an_unknown_time_zone_is_reported_at_the_timezone() -> None:
    errors = _errors({"type": "cron", "expression": "0 2 * * *", "timezone": "Europe/Berln"})
    assert errors == [
        (
            "triggers[cron].timezone",
            "unknown time zone 'Europe/Berln'; use an IANA name such as 'UTC' or 'Europe/Berlin'",
            "invalid_timezone",
        )
    ]


def test_cron_expression_and_time_zone_problems_are_reported_together() -> None:
    errors = _errors({"type": "cron", "id": "n", "expression": "x", "timezone": "Nowhere"})
    assert [(loc, code) for loc, _, code in errors] == [
        ("triggers[n].expression", "invalid_cron"),
        ("triggers[n].timezone", "invalid_timezone"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("overlap", "queue", "Input should be 'skip' or 'allow'"),
        ("enabled", "sometimes", "Input should be a valid boolean"),
        ("inputs", [1], "Input should be a valid dictionary"),
    ],
)
def test_cron_field_problems(field: str, value: Any, message: str) -> None:
    ((loc, text, _),) = _errors({"type": "cron", "expression": "@daily", field: value})
    assert loc == f"triggers[cron].{field}"
    assert message in text


# ---------------------------------------------------------------------------- ids


def test_trigger_ids_are_unique() -> None:
    errors = _errors(
        {"type": "cron", "expression": "@daily"},
        {"type": "cron", "expression": "@hourly"},
        {"type": "manual", "id": "go"},
        {"type": "webhook", "id": "go"},
    )
    assert [(loc, text, code) for loc, text, code in errors] == [
        ("triggers[cron].id", "duplicate trigger id 'cron'", "duplicate_id"),
        ("triggers[go].id", "duplicate trigger id 'go'", "duplicate_id"),
    ]
    report = validate_spec(
        _spec({"type": "cron", "expression": "@daily"}, {"type": "cron", "expression": "@hourly"})
    )
    (problem,) = report.errors
    assert problem.hint is not None and "takes its type as id" in problem.hint


def test_triggers_of_different_types_have_distinct_default_ids() -> None:
    spec = load_spec(
        _spec({"type": "manual"}, {"type": "webhook"}, {"type": "cron", "expression": "@daily"})
    )
    assert [t.id for t in spec.triggers] == ["manual", "webhook", "cron"]


def test_trigger_channels_are_the_state_keys_triggers_fill() -> None:
    spec = load_spec(
        _spec(
            {"type": "manual"},
            {"type": "webhook", "input_key": "request"},
            {"type": "cron", "expression": "@daily", "inputs": {"mode": "full", "limit": 5}},
        )
    )
    assert spec.trigger_channels() == {"request", "mode", "limit"}
