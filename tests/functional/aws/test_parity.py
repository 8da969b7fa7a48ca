"""Parity: every conformance workflow runs on the AWS backend under moto as on the local engine.

The whole path is AWS's: an API Gateway event into the API Lambda (Mangum + FastAPI on
the DynamoDB stores) → ``StartExecution`` of the version's generated state machine →
moto executes it → each Task invokes the node-runner Lambda handler (moto's invoke seam,
routed in-process by ``functions.emulation``) → node events stored in DynamoDB → the
run-events stream → the telemetry Lambda → WebSocket posts (recorded by moto). Each run
must end as the conformance case says (state, or error code and node), with the same
well-formed event stream the local engine's runs have.

Script cases take the same path as script versions: the API Lambda compiles the state
machine in the script sandbox, and the node runner runs each Task there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from aws.moto_env import dynamo_requests_in_turn, posted
from functions.api.handler import handler as api
from functions.backends.aws.models import EventItem
from functions.emulation import REGION, AwsEmulation, LambdaContext, http_event
from functions.service.tokens import issue_token
from functions.service.workflows import EXPORT_FORMAT
from functions.telemetry.handler import handler as telemetry
from functions.websocket.handler import handler as websocket
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update
from orcheo_core.sandbox import ScriptSandbox
from tests.conformance.corpus import Case, as_json, load_cases
from tests.conformance.nodes import registry
from tests.conformance.test_corpus import check_events, check_state

CASES = {c.name: c for c in load_cases()}
SPEC_CASES = [name for name, case in CASES.items() if not case.is_script]
SCRIPT_CASES = [name for name, case in CASES.items() if case.is_script]
# Orcheo nodes in scripts are for library mode only (docs/concepts.md, "Scripts"): the
# service refuses such a script version on every stack, before anything runs.
LIBRARY_ONLY = {"script_orcheo_node"}
CANARY = "canary-aws-" + "7f3c9a1e5b2d4086"


class Api:
    """The API Lambda, called with API Gateway HTTP API events."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        answer = api(http_event(method, path, body=body, token=self.token), LambdaContext())
        text = answer.get("body") or "null"
        return int(answer["statusCode"]), json.loads(text) if text else None


class LeakNode(Node[NodeConfig]):
    """Echoes its credential's token into the state (what redaction must catch)."""

    type = "leak"
    display_name = "Leak"
    config_model = NodeConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        token = (await ctx.get_credential("auth"))["token"]
        return {"leaked": f"Bearer {token}"}

    @classmethod
    def writes(cls, config: NodeConfig) -> set[str]:
        return {"leaked"}


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[AwsEmulation, Api]]:
    dynamo_requests_in_turn()
    nodes = registry()
    nodes.register(LeakNode)
    with AwsEmulation(registry=nodes, prefix="parity-") as emulation:
        assert emulation.stack is not None
        _, secret = issue_token(emulation.stack.services, "parity", ["admin"])
        yield emulation, Api(secret)


def create(call: Api, case: Case, workflow_id: str) -> None:
    for sub_id, spec in case.workflows().items():
        status, body = call(
            "POST",
            "/api/workflows/import",
            {
                "document": {
                    "format": EXPORT_FORMAT,
                    "workflow": {"id": sub_id, "name": sub_id, "current_version": 1},
                    "versions": [{"number": 1, "kind": "spec", "spec": spec}],
                }
            },
        )
        assert status in (201, 409), body  # 409: an earlier case imported it
    status, body = call(
        "POST",
        "/api/workflows/import",
        {
            "document": {
                "format": EXPORT_FORMAT,
                "workflow": {"id": workflow_id, "name": case.name},
                "versions": [{"number": 1, "kind": "spec", "spec": case.spec()}],
            }
        },
    )
    assert status == 201, body


def run(call: Api, case: Case, workflow_id: str) -> dict[str, Any]:
    status, body = call(
        "POST",
        f"/api/workflows/{workflow_id}/runs",
        {"inputs": case.inputs, "wait": True, "timeout": 60},
    )
    assert status in (200, 201, 202), body
    assert body["status"] not in ("queued", "running"), body
    return dict(body)


def events(call: Api, run_id: str) -> list[Any]:
    status, body = call("GET", f"/api/runs/{run_id}/events")
    assert status == 200, body
    items = body["items"] if isinstance(body, dict) else body
    return [_Event(item) for item in items]


class _Event:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.seq, self.type = raw["seq"], raw["type"]
        self.node, self.attempt = raw.get("node"), raw.get("attempt")


def create_script(call: Api, case: Case) -> tuple[int, Any]:
    source = (case.path / "workflow.py").read_text()
    return call("POST", "/api/workflows/script", {"name": case.name, "source": source})


@pytest.mark.parametrize("name", SPEC_CASES + SCRIPT_CASES)
def test_each_workflow_ends_on_aws_as_on_the_local_engine(aws: Any, name: str) -> None:
    emulation, call = aws
    case = CASES[name]
    workflow_id = f"wf-{name}".replace("_", "-")
    if case.is_script:
        status, body = create_script(call, case)
        if name in LIBRARY_ONLY:
            assert status == 422, body
            assert "orcheo_core.graph" in json.dumps(body), body
            return
        assert status == 201, body
        workflow_id = body["id"]
    else:
        create(call, case, workflow_id)
    outcome = run(call, case, workflow_id)
    status, detail = call("GET", f"/api/runs/{outcome['id']}")
    assert status == 200
    if "expected_error" in case.meta:
        assert detail["status"] == "failed", detail
        error = detail["error"]
        want = case.meta["expected_error"]
        assert error["code"] == want["code"], error
        assert (error.get("details") or {}).get("node") == want["node"], error
        assert want["message_contains"] in error["message"]
    else:
        assert detail["status"] == "succeeded", detail
        check_state(case, detail["state"])
    check_events(case, events(call, outcome["id"]))


def test_step_functions_drives_the_retries_of_the_retry_workflow(aws: Any) -> None:
    emulation, call = aws
    case = CASES["retry_flaky_succeeds"]
    create(call, case, "wf-retry-history")
    outcome = run(call, case, "wf-retry-history")
    assert outcome["status"] == "succeeded"
    stack = emulation.stack
    engine = stack.services.engine
    record = stack.services.runs.get_run(outcome["id"])
    history = boto3.client("stepfunctions", region_name=REGION).get_execution_history(
        executionArn=engine.execution_arn(record), maxResults=1000
    )["events"]
    failed = [
        e["lambdaFunctionFailedEventDetails"]
        for e in history
        if e["type"] == "LambdaFunctionFailed"
    ]
    assert [f["error"] for f in failed] == ["Orcheo.Retryable", "Orcheo.Retryable"]
    assert as_json(record.state) == case.meta["expected_state"]


def _stream_records() -> list[dict[str, Any]]:
    client = boto3.client(
        "dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
    )
    arn = EventItem._get_connection().describe_table()["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = client.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += client.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return records


def _ws(route: str, connection_id: str, **extra: Any) -> dict[str, Any]:
    event = {
        "requestContext": {
            "routeKey": route,
            "connectionId": connection_id,
            "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE"),
            "domainName": "emulated.execute-api.us-east-1.amazonaws.com",
            "stage": "prod",
            "requestId": "req",
            "apiId": "emulated",
        },
        "isBase64Encoded": False,
        **extra,
    }
    answer: dict[str, Any] = websocket(event, LambdaContext())
    return answer


def test_websocket_subscribers_receive_every_node_event_in_order(aws: Any) -> None:
    emulation, call = aws
    case = CASES["parallel_fanout_join"]
    create(call, case, "wf-telemetry")
    refused = _ws("$connect", "conn-bad", queryStringParameters={"token": "nope"})
    assert refused["statusCode"] == 401
    assert (
        _ws("$connect", "conn-1", queryStringParameters={"token": call.token})["statusCode"] == 200
    )
    answer = _ws(
        "$default", "conn-1", body=json.dumps({"type": "subscribe", "workflow_id": "wf-telemetry"})
    )
    assert json.loads(answer["body"]) == {"type": "subscribed", "topic": "workflow:wf-telemetry"}
    outcome = run(call, case, "wf-telemetry")
    assert outcome["status"] == "succeeded"
    # The stream's event source mapping hands the records to the telemetry Lambda.
    telemetry({"Records": _stream_records()}, LambdaContext())
    received = [m for m in posted("conn-1") if m["run_id"] == outcome["id"]]
    stored = events(call, outcome["id"])
    assert [m["seq"] for m in received] == [e.seq for e in stored]
    assert [(m["type"], m["node"]) for m in received] == [(e.type, e.node) for e in stored]
    nodes = [m for m in received if m["type"].startswith("node.")]
    assert {m["node"] for m in nodes} >= set(case.meta["expected_node_runs"])
    # After $disconnect nothing more is posted to it.
    _ws("$disconnect", "conn-1")
    assert emulation.stack is not None
    assert emulation.stack.connections.topics("conn-1") == []


def test_script_machines_are_compiled_in_the_sandbox_once_per_version(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulation, call = aws
    case = CASES["script_command_goto"]
    status, body = create_script(call, case)
    assert status == 201, body
    compiled: list[str] = []
    original = ScriptSandbox.compile_machine

    async def counting(self: ScriptSandbox, source: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(source)
        return await original(self, source, *args, **kwargs)

    monkeypatch.setattr(ScriptSandbox, "compile_machine", counting)
    for _ in range(2):
        assert run(call, case, body["id"])["status"] == "succeeded"
    assert compiled == [(case.path / "workflow.py").read_text()]
    # another API container finds the machine in Step Functions: no sandbox job at all
    engine = emulation.stack.services.engine
    arn = engine.state_machine_arn(body["id"], 1)
    engine._machines.discard(arn)
    engine._definitions.clear()
    assert run(call, case, body["id"])["status"] == "succeeded"
    assert len(compiled) == 1
    sfn = boto3.client("stepfunctions", region_name=REGION)
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    assert {"triage", "review", "auto_approve"} <= set(definition["States"])


def test_the_final_state_is_redacted_on_aws(aws: Any) -> None:
    emulation, call = aws
    status, body = call(
        "POST",
        "/api/credentials",
        {"name": "leaky", "type": "http_bearer", "secret": {"token": CANARY}},
    )
    assert status == 201, body
    spec = {
        "name": "leak",
        "entry": "leak",
        "nodes": [{"id": "leak", "type": "leak", "credentials": {"auth": "leaky"}}],
        "edges": [{"source": "leak", "target": "__end__"}],
    }
    status, body = call("POST", "/api/workflows", {"name": "leak", "spec": spec})
    assert status == 201, body
    status, outcome = call(
        "POST", f"/api/workflows/{body['id']}/runs", {"inputs": {}, "wait": True, "timeout": 60}
    )
    assert outcome["status"] == "succeeded", outcome
    stored = emulation.stack.services.runs.get_run(outcome["id"])
    assert stored.state == {"leaked": "Bearer [REDACTED]"}
    assert CANARY not in json.dumps(stored.state)
    assert CANARY not in json.dumps([e.raw for e in events(call, outcome["id"])])
    # the secret really went through the node: the execution's output holds it
    arn = emulation.stack.services.engine.execution_arn(stored)
    described = boto3.client("stepfunctions", region_name=REGION).describe_execution(
        executionArn=arn
    )
    assert CANARY in described["output"]
