"""Infra and code cannot drift: tables, environment and handlers checked against the code.

The stack never imports the service (it names code by asset path and handler
string); these tests do, and compare: the tables of ``infra.names`` and of the
synthesised template with ``functions.backends.aws.models.table_definitions()``; each
Lambda's environment with the ``ORCHEO_*`` names ``functions/settings.py`` reads; and
the stores of the AWS backend, run under moto against tables created from the
template itself with the settings its environment yields.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.backends.aws import (
    DynamoCredentialStore,
    DynamoRunStore,
    DynamoTokenStore,
    DynamoTriggerState,
    DynamoWorkflowStore,
    bind,
    table_definitions,
)
from functions.backends.ports import (
    CredentialRecord,
    EventRecord,
    RunRecord,
    TokenRecord,
    VersionRecord,
    WorkflowRecord,
)
from functions.settings import AwsSettings, TableNames
from infra.names import ENV, ENV_AHEAD, FUNCTIONS, TABLES
from tests.infra.stack_synth import Synth

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"


def _settings_names() -> set[str]:
    """Every ``ORCHEO_*`` name functions/settings.py reads (read as text: no import)."""
    return set(
        re.findall(r'"(ORCHEO_[A-Z0-9_]+)"', (ROOT / "functions" / "settings.py").read_text())
    )


def _environments(synth: Synth) -> dict[str, dict[str, Any]]:
    """Handler string -> the environment of the Lambda that runs it."""
    return {
        f["Properties"]["Handler"]: f["Properties"].get("Environment", {}).get("Variables", {})
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"].startswith("functions.")
    }


def _concrete(env: dict[str, Any]) -> dict[str, str]:
    """The environment with CloudFormation references replaced by stand-in strings."""
    return {
        k: v if isinstance(v, str) else f"arn:aws:test:{REGION}:123456789012:{k}"
        for k, v in env.items()
    }


# ---------------------------------------------------------------------------- tables


def test_table_specs_match_the_models() -> None:
    models = {d.store: d for d in table_definitions(TableNames())}
    specs = {s.store: s for s in TABLES}
    assert set(specs) == set(models)
    for store, spec in specs.items():
        model = models[store]
        assert spec.hash_key == model.hash_key, store
        assert spec.range_key == model.range_key, store
        assert [(i.name, i.hash_key, i.range_key) for i in spec.indexes] == [
            (i.name, i.hash_key, i.range_key) for i in model.indexes
        ], store
        assert spec.ttl_attribute == model.ttl_attribute, store
        assert spec.stream_view_type == model.stream_view_type, store


def _key_schema(schema: list[dict[str, str]], types: dict[str, str]) -> tuple[Any, Any]:
    keys = {k["KeyType"]: (k["AttributeName"], types[k["AttributeName"]]) for k in schema}
    return keys.get("HASH"), keys.get("RANGE")


def test_template_tables_are_what_the_models_expect(synthesized: Synth) -> None:
    prefix = _environments(synthesized)[FUNCTIONS["api"].handler][ENV.TABLE_PREFIX]
    expected = {d.table_name: d for d in table_definitions(TableNames.with_prefix(prefix))}
    tables = {
        t["Properties"]["TableName"]: t["Properties"]
        for t in synthesized.resources("AWS::DynamoDB::Table").values()
    }
    assert set(tables) == set(expected)
    for name, props in tables.items():
        model = expected[name]
        types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
        assert _key_schema(props["KeySchema"], types) == (model.hash_key, model.range_key), name
        indexes = {
            g["IndexName"]: (_key_schema(g["KeySchema"], types), g["Projection"]["ProjectionType"])
            for g in props.get("GlobalSecondaryIndexes", [])
        }
        assert indexes == {i.name: ((i.hash_key, i.range_key), "ALL") for i in model.indexes}, name
        ttl = props.get("TimeToLiveSpecification", {}).get("AttributeName")
        assert ttl == model.ttl_attribute, name
        stream = props.get("StreamSpecification", {}).get("StreamViewType")
        assert stream == model.stream_view_type, name


# ---------------------------------------------------------------------------- environment


def test_every_variable_the_stack_sets_is_read_by_the_settings(synthesized: Synth) -> None:
    read = _settings_names()
    for handler, env in _environments(synthesized).items():
        ours = {k for k in env if not k.startswith("POWERTOOLS_")}
        unknown = ours - read - ENV_AHEAD
        assert not unknown, (
            f"{handler} gets {sorted(unknown)}, which functions/settings.py never reads"
        )


def test_every_lambda_gets_the_settings_its_stores_need(synthesized: Synth) -> None:
    envs = _environments(synthesized)
    for handler, env in envs.items():
        assert env[ENV.TABLE_PREFIX] == "orcheo-prod-", handler
        assert ENV.KMS_KEY_ARN in env, handler
        assert AwsSettings.from_env(_concrete(env)).tables == TableNames.with_prefix("orcheo-prod-")
    api = envs[FUNCTIONS["api"].handler]
    for name in (ENV.SCHEDULE_GROUP, ENV.SCHEDULER_TARGET_ARN, ENV.SCHEDULER_ROLE_ARN):
        assert name in api and name in _settings_names()
    assert api[ENV.SCHEDULE_GROUP] == "orcheo-prod"
    settings = AwsSettings.from_env({**_concrete(api), "AWS_REGION": REGION})
    assert settings.schedule_group == "orcheo-prod"
    assert settings.run_retention_days == 90


def test_variables_set_ahead_of_the_code_are_really_set(synthesized: Synth) -> None:
    """ENV_AHEAD names only variables the stack sets (no stale allowance)."""
    set_somewhere = {k for env in _environments(synthesized).values() for k in env}
    assert ENV_AHEAD.issubset(set_somewhere)


# ---------------------------------------------------------------------------- under moto


@contextlib.contextmanager
def _tables_from_template(synth: Synth) -> Iterator[dict[str, str]]:
    """moto with every table created from the template's properties; yields the api env."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        for table in synth.resources("AWS::DynamoDB::Table").values():
            props = table["Properties"]
            args: dict[str, Any] = {
                "TableName": props["TableName"],
                "KeySchema": props["KeySchema"],
                "AttributeDefinitions": props["AttributeDefinitions"],
                "BillingMode": props["BillingMode"],
            }
            if "GlobalSecondaryIndexes" in props:
                args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            if "StreamSpecification" in props:
                args["StreamSpecification"] = {
                    "StreamEnabled": True,
                    **props["StreamSpecification"],
                }
            client.create_table(**args)
            if "TimeToLiveSpecification" in props:
                client.update_time_to_live(
                    TableName=props["TableName"],
                    TimeToLiveSpecification=props["TimeToLiveSpecification"],
                )
        env = {**_concrete(_environments(synth)[FUNCTIONS["api"].handler]), "AWS_REGION": REGION}
        yield env


def test_the_stores_work_on_the_synthesised_tables(synthesized: Synth) -> None:
    with _tables_from_template(synthesized) as env:
        bind(AwsSettings.from_env(env))
        try:
            workflows = DynamoWorkflowStore()
            workflows.create_workflow(WorkflowRecord(id="w1", name="Drift", created_at=1.0))
            workflows.add_version(VersionRecord(workflow_id="w1", number=1, created_at=2.0))
            assert [w.id for w in workflows.list_workflows().items] == ["w1"]

            runs = DynamoRunStore()
            runs.create_run(RunRecord(id="r1", workflow_id="w1", version=1, created_at=3.0))
            runs.append_events([EventRecord(run_id="r1", seq=1, type="run.started", ts=3.0)])
            assert [r.id for r in runs.list_runs(workflow_id="w1").items] == ["r1"]
            assert [r.id for r in runs.list_runs(status=["queued"]).items] == ["r1"]
            assert [e.seq for e in runs.list_events("r1")] == [1]

            tokens = DynamoTokenStore()
            digest = uuid.uuid4().hex
            tokens.create_token(TokenRecord(id="t1", name="admin", hash=digest, scopes=["admin"]))
            found = tokens.find_token(digest)
            assert found is not None and found.id == "t1"

            credentials = DynamoCredentialStore()
            credentials.create_credential(
                CredentialRecord(id="c1", name="slack", type="token", ciphertext=b"\x00")
            )
            assert credentials.find_credential("slack") is not None

            assert DynamoTriggerState().acquire_lock("cron#w1", "me", ttl=60.0)
        finally:
            bind(AwsSettings())


@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_handler_strings_name_callables_that_load_with_the_stack_env(
    synthesized: Synth, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module_name, _, attr = FUNCTIONS[key].handler.rpartition(".")
    if importlib.util.find_spec(module_name.rpartition(".")[0]) is None or (
        importlib.util.find_spec(module_name) is None
    ):
        pytest.skip(f"{module_name} is not written yet (the stack already points at it)")
    with _tables_from_template(synthesized) as env:
        env = {
            **_concrete(_environments(synthesized)[FUNCTIONS[key].handler]),
            "AWS_REGION": REGION,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        module = importlib.import_module(module_name)
        assert callable(getattr(module, attr))


@contextlib.contextmanager
def _handlers_on_template(synth: Synth, key: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto with the template's tables, the Lambda ``key``'s env, and a fresh AwsStack."""
    from functions import aws

    with _tables_from_template(synth):
        env = {**_concrete(_environments(synth)[FUNCTIONS[key].handler]), "AWS_REGION": REGION}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        aws.install(None)  # the next handler call builds its stack from this environment
        try:
            yield aws
        finally:
            aws.install(None)
            bind(AwsSettings())


def test_api_handler_serves_on_the_template_tables_and_env(
    synthesized: Synth, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.api import handler as api
    from functions.emulation import LambdaContext, http_event
    from functions.service.tokens import issue_token

    with _handlers_on_template(synthesized, "api", monkeypatch) as aws:
        api.reset()
        try:
            denied = api.handler(http_event("GET", "/api/workflows"), LambdaContext())
            assert denied["statusCode"] == 401
            _, secret = issue_token(aws.current().services, "drift", ["admin"])
            listed = api.handler(http_event("GET", "/api/workflows", token=secret), LambdaContext())
            assert listed["statusCode"] == 200, listed
        finally:
            api.reset()


def test_websocket_connect_records_its_subscription_in_the_template_table(
    synthesized: Synth, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.emulation import LambdaContext
    from functions.service.tokens import issue_token
    from functions.websocket import handler as websocket

    with _handlers_on_template(synthesized, "websocket", monkeypatch) as aws:
        _, secret = issue_token(aws.current().services, "drift", ["read"])
        DynamoRunStore().create_run(RunRecord(id="r1", workflow_id="w1", version=1))
        event = {
            "requestContext": {
                "routeKey": "$connect",
                "eventType": "CONNECT",
                "connectionId": "conn-1",
                "requestId": "req-1",
            },
            "queryStringParameters": {"token": secret, "run_id": "r1"},
        }
        answer = websocket.handler(event, LambdaContext())
        assert answer["statusCode"] == 200, answer
        env = _environments(synthesized)[FUNCTIONS["websocket"].handler]
        table = f"{env[ENV.TABLE_PREFIX]}connections"
        items = boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]
        assert {i["connection_id"]["S"] for i in items} == {"conn-1"}
