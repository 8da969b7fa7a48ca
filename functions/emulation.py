"""AWS emulation: the AWS stack against in-process moto, with the Lambdas run in this process.

:class:`AwsEmulation` starts ``mock_aws`` (Step Functions really executing state
machines), creates what the CDK stack would (the tables, the state bucket, the vault's
KMS key, the node-runner, scheduler and reconciler functions, the executions' role),
delivers each Standard execution's end to the reconciler as EventBridge's rule on Step
Functions status changes would (moto emits no such events), installs an
:class:`~functions.aws.AwsStack` on it for every handler of this process, and routes
moto's Lambda invoke (``moto.awslambda.models.LambdaFunction._invoke_lambda``, which
returns ``(payload_json, errored, logs)``; moto would start Docker) to our handlers,
the way the Python Lambda runtime calls them. Everything lives in memory and is gone
when the emulation stops.

The test tiers use it, and so does ``orcheo dev --aws``. moto is a development
dependency, pinned because of this seam (``tests/functional/aws/test_moto_seam.py``).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import threading
import uuid
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from functions.aws import AwsStack
    from functions.settings import AwsSettings
    from orcheo_core.nodes.registry import NodeRegistry

__all__ = [
    "AwsEmulation",
    "LambdaContext",
    "LambdaRuntime",
    "http_event",
    "status_change_event",
]

REGION = "us-east-1"
ACCOUNT = "123456789012"
CALLBACK_URL = f"https://emulated.execute-api.{REGION}.amazonaws.com/prod"

# function name -> handler string (as infra/names.py gives them to the stack)
HANDLERS = {
    "orcheo-node-runner": "functions.node_runner.handler.handler",
    "orcheo-scheduler": "functions.scheduler.handler.handler",
    "orcheo-reconciler": "functions.reconciler.handler.handler",
    "orcheo-code-runner": "functions.code_runner.handler.handler",
}
STATUS_CHANGE = "Step Functions Execution Status Change"


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object our handlers (and Powertools) read."""

    function_name: str = "orcheo-emulated"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    timeout_ms: int = 900_000

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


class LambdaRuntime:
    """Calls a handler as the Python Lambda runtime does; failures become Lambda errors.

    ``invocations`` records (function name, event) for every call it made.
    """

    def __init__(self, handlers: dict[str, str] | None = None) -> None:
        self.handlers = dict(handlers or HANDLERS)
        self.invocations: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def handler(self, function_name: str) -> Callable[[dict[str, Any], Any], Any]:
        module, _, name = self.handlers[function_name].rpartition(".")
        fn: Callable[[dict[str, Any], Any], Any] = getattr(importlib.import_module(module), name)
        return fn

    def invoke(self, function_name: str, event: Any) -> tuple[str, bool, str]:
        """``(payload_json, errored, logs)``: the shape of moto's invoke seam."""
        body = json.loads(event) if isinstance(event, str | bytes) else dict(event or {})
        with self._lock:
            self.invocations.append((function_name, body))
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        context = LambdaContext(function_name=function_name, invoked_function_arn=arn)
        try:
            out = self.handler(function_name)(body, context)
        except Exception as exc:  # what the runtime reports: the class name and message
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""
        return json.dumps(out), False, ""


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    token: str | None = None,
    query: str = "",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as the API Lambda receives it."""
    path, _, inline = path.partition("?")
    query = query or inline
    headers = {"content-type": "application/json", "host": "api.orcheo.example"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "emulated",
            "domainName": "api.orcheo.example",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "orcheo-emulation",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000,
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def _placeholder_zip() -> bytes:
    # moto stores a function's code but never runs it: the runtime above does.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


class AwsEmulation:
    """The AWS stack on in-process moto (see the module docstring). A context manager.

    ``registry`` is the node types workflows may use (default: the built-in ones).
    """

    def __init__(
        self,
        *,
        registry: NodeRegistry | None = None,
        prefix: str = "orcheo-",
        poll_interval: float = 0.05,
    ) -> None:
        self.registry = registry
        self.prefix = prefix
        self.poll_interval = poll_interval
        self.runtime = LambdaRuntime()
        self.settings: AwsSettings | None = None
        self.stack: AwsStack | None = None
        self._exit = contextlib.ExitStack()
        self.moto_invoke: Callable[..., tuple[str, bool, str]] | None = None

    def __enter__(self) -> AwsEmulation:
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def _start(self) -> None:
        import boto3
        from moto import mock_aws
        from moto.awslambda.models import LambdaFunction

        from functions import aws
        from functions.api import handler as api_handler
        from functions.backends.aws.models import bind, create_tables, table_definitions
        from functions.settings import AwsSettings, TableNames

        runtime = self.runtime
        original = LambdaFunction._invoke_lambda
        self.moto_invoke = original  # moto's own, while the emulation replaces it

        def seam(function: LambdaFunction, event: str | None = None) -> tuple[str, bool, str]:
            return runtime.invoke(function.function_name, event)

        LambdaFunction._invoke_lambda = seam  # type: ignore[method-assign,assignment]
        self._exit.callback(setattr, LambdaFunction, "_invoke_lambda", original)
        self._exit.enter_context(_status_changes(self._deliver))
        self._exit.enter_context(
            mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        )
        settings = AwsSettings(
            region=REGION,
            tables=TableNames.with_prefix(self.prefix),
            schedule_group=self.prefix.rstrip("-") or "orcheo",
            websocket_callback_url=CALLBACK_URL,
            state_bucket=f"{self.prefix}state-{ACCOUNT}",
        )
        bind(settings)
        create_tables()
        dynamo = boto3.client("dynamodb", region_name=REGION)
        for table in table_definitions(settings.tables):
            if table.owner == "powertools":
                dynamo.create_table(
                    TableName=table.table_name,
                    KeySchema=[{"AttributeName": table.hash_key[0], "KeyType": "HASH"}],
                    AttributeDefinitions=[
                        {"AttributeName": table.hash_key[0], "AttributeType": table.hash_key[1]}
                    ],
                    BillingMode="PAY_PER_REQUEST",
                )
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=settings.state_bucket)
        boto3.client("scheduler", region_name=REGION).create_schedule_group(
            Name=settings.schedule_group
        )
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName=f"{self.prefix}executions",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        arns = {
            name: lam.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler=handler,
                Code={"ZipFile": _placeholder_zip()},
            )["FunctionArn"]
            for name, handler in HANDLERS.items()
        }
        key = boto3.client("kms", region_name=REGION).create_key(Description="orcheo vault")
        settings = replace(
            settings,
            kms_key_arn=key["KeyMetadata"]["Arn"],
            node_runner_arn=arns["orcheo-node-runner"],
            code_runner_arn=arns["orcheo-code-runner"],
            scheduler_target_arn=arns["orcheo-scheduler"],
            scheduler_role_arn=role,
            state_machine_role_arn=role,
        )
        self.settings = settings
        self.stack = aws.AwsStack(
            settings, registry=self.registry, poll_interval=self.poll_interval
        )
        aws.install(self.stack)
        from orcheo_core.sandbox import use_remote

        self._exit.callback(use_remote, None)  # user code runs here again afterwards
        api_handler.reset()
        self._exit.callback(api_handler.reset)
        self._exit.callback(aws.install, None)

    def _deliver(self, event: dict[str, Any]) -> None:
        """EventBridge's rule: an Orcheo execution's end goes to the reconciler Lambda."""
        machine = str(event["detail"].get("stateMachineArn", ""))
        prefix = self.settings.state_machine_prefix if self.settings else self.prefix
        if machine.rsplit(":", 1)[-1].startswith(prefix):
            self.runtime.invoke("orcheo-reconciler", event)


def status_change_event(execution: Any) -> dict[str, Any]:
    """A moto execution's end as EventBridge delivers it ("Step Functions Execution Status
    Change", ``tests/events/sfn_execution_status_change_*.json``)."""
    described = execution.to_describe_output()

    def millis(value: Any) -> int | None:
        return None if value is None else int(value.timestamp() * 1000)

    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": STATUS_CHANGE,
        "source": "aws.states",
        "account": execution.account_id,
        "time": described.get("stopDate").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": execution.region_name,
        "resources": [described["executionArn"]],
        "detail": {
            "executionArn": described["executionArn"],
            "stateMachineArn": described["stateMachineArn"],
            "name": described["name"],
            "status": getattr(described["status"], "value", described["status"]),
            "startDate": millis(described.get("startDate")),
            "stopDate": millis(described.get("stopDate")),
            "input": described.get("input"),
            "inputDetails": {"included": True},
            "output": described.get("output"),
            "outputDetails": {"included": True} if "output" in described else None,
            "error": described.get("error"),
            "cause": described.get("cause"),
        },
    }


@contextlib.contextmanager
def _status_changes(deliver: Callable[[dict[str, Any]], None]) -> Iterator[None]:
    """Step Functions' status-change events, which moto never emits: each Standard
    execution's end is delivered to ``deliver`` (Express executions emit none on AWS)."""
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self: BaseExecutionWorkerCommunication) -> None:
        original(self)
        execution = self.execution
        if str(getattr(execution.sm_type, "value", execution.sm_type)) != "EXPRESS":
            deliver(status_change_event(execution))

    BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseExecutionWorkerCommunication.terminated = original  # type: ignore[method-assign]


# ---------------------------------------------------------------------------- orcheo dev --aws


def _dynamo_in_turn() -> None:
    """DynamoDB serves each request whole; moto does not across threads (Step Functions
    runs branches in threads), so its handler takes one request at a time here."""
    import functools

    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.call_action, "_orcheo_in_turn", False):
        return
    original = DynamoHandler.call_action
    lock = threading.RLock()

    @functools.wraps(original)
    def call_action(self: DynamoHandler, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    call_action._orcheo_in_turn = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def emulation_app(emulation: AwsEmulation) -> Any:
    """The API on the emulated AWS stack, plus ``GET /emulation/runs/{id}``: the run's
    Step Functions execution, state by state (what the console's graph view shows)."""
    import asyncio
    from contextlib import asynccontextmanager

    import boto3

    from functions.api.app import create_app
    from functions.api.deps import require

    stack = emulation.stack
    assert stack is not None
    bus: Any = stack.services.bus

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        # Node events are stored by the node runner; the stream brings them to /ws.
        stop = asyncio.Event()
        follower = asyncio.create_task(bus.follow(stop, interval=0.2))
        try:
            yield
        finally:
            stop.set()
            await follower

    app = create_app(stack.services, lifespan=lifespan)
    sfn = boto3.client("stepfunctions", region_name=REGION)

    @app.get("/emulation/runs/{run_id}", tags=["emulation"], dependencies=[require("read")])  # type: ignore[list-item]
    async def execution(run_id: str) -> dict[str, Any]:
        engine: Any = stack.services.engine
        run = stack.services.runs.get_run(run_id)
        arn = engine.execution_arn(run)
        described = sfn.describe_execution(executionArn=arn)
        history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        machine = sfn.describe_state_machine(stateMachineArn=described["stateMachineArn"])
        return {
            "execution_arn": arn,
            "status": described["status"],
            "definition": json.loads(machine["definition"]),
            "history": [
                {
                    "id": e["id"],
                    "type": e["type"],
                    "state": (e.get("stateEnteredEventDetails") or {}).get("name"),
                    "at": e["timestamp"].isoformat(),
                }
                for e in history
            ],
        }

    return app


EMULATION_TOKEN_FILE = "emulation.json"
"""In ``$ORCHEO_HOME`` while ``orcheo dev --aws`` runs: ``{"url", "token"}`` (mode 0600),
which the CLI and SDK use for that URL (orcheo_core/sdk/config.py); removed on exit,
since the emulation's data (and so its token) dies with it."""


def serve(host: str, port: int, home: Path | None = None) -> int:
    """``orcheo dev --aws``: the API on the AWS backends against in-process moto; its
    admin token is saved in ``home`` as the local stack saves its own."""
    try:
        import moto  # noqa: F401
    except ImportError:
        print("orcheo dev --aws needs moto (a development dependency): run `make dev` once")
        return 2
    import uvicorn

    from functions.local import bind
    from functions.service.tokens import issue_token

    sock = bind(host, port)
    if sock is None:
        return 1
    saved = (home or Path.home() / ".orcheo") / EMULATION_TOKEN_FILE
    _dynamo_in_turn()
    with AwsEmulation() as emulation, _saved_token(saved) as save:
        assert emulation.stack is not None and emulation.settings is not None
        _, token = issue_token(emulation.stack.services, "admin (emulation)", ["admin"])
        url = f"http://{host}:{port}"
        save(url, token)
        print(
            "\n".join(
                [
                    "",
                    f"  Orcheo (AWS emulation) is running at {url}  (API reference: {url}/docs)",
                    "  Backends: DynamoDB, Step Functions, S3, Lambda... all in-process moto.",
                    "  Data is EPHEMERAL: everything is gone when you stop the server.",
                    "  Each run executes as a Step Functions state machine; watch it with",
                    f"    GET {url}/emulation/runs/<run id>",
                    "  Cron triggers do not fire here (moto never fires EventBridge schedules).",
                    "",
                    f"  Admin API token: {token}",
                    f"  (saved to {saved} while this runs: the CLI uses it for {url})",
                    "",
                    "  Press Ctrl+C to stop.",
                    "",
                ]
            ),
            flush=True,
        )
        config = uvicorn.Config(
            emulation_app(emulation),
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=3,
        )
        server = uvicorn.Server(config)
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    return 0


@contextlib.contextmanager
def _saved_token(path: Path) -> Iterator[Callable[[str, str], None]]:
    """Write ``{"url", "token"}`` to ``path`` (0600) on demand; remove it on the way out."""

    def save(url: str, token: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"url": url, "token": token}, out)

    try:
        yield save
    finally:
        path.unlink(missing_ok=True)
