"""moto as the AWS of the AWS-backend tests: one in-process ``mock_aws`` per test.

DynamoDB runs every request to completion before the next one touches the same item,
and a transaction is all-or-nothing against concurrent writers. moto does neither when
called from several threads at once (a transaction checks, deep-copies the tables and
may restore that copy over another thread's write), so :func:`dynamo_requests_in_turn`
serialises moto's DynamoDB request handler: the emulator then behaves like the service
for the race tests of the conformance suites. Nothing of ours is replaced.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Iterator
from typing import Any

from moto import mock_aws
from moto.apigatewaymanagementapi.models import (
    ApiGatewayManagementApiBackend,
    apigatewaymanagementapi_backends,
)
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler

from functions.backends.aws.models import bind, create_tables
from functions.settings import AwsSettings, TableNames

REGION = "us-east-1"

_LOCK = threading.RLock()
_PATCHED: list[bool] = []


def dynamo_requests_in_turn() -> None:
    """Make moto's DynamoDB handle one request at a time (idempotent, process-wide)."""
    if _PATCHED:
        return
    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self: DynamoHandler, *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return original(self, *args, **kwargs)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _PATCHED.append(True)


def aws_settings(**overrides: Any) -> AwsSettings:
    """Settings naming the tables of a test (each test has its own ``mock_aws``, so the
    names can stay the same, and pynamodb's connections, bound to a name, are reused)."""
    values: dict[str, Any] = {
        "region": REGION,
        "tables": TableNames.with_prefix("test-"),
        "schedule_group": "orcheo-test",
        "scheduler_target_arn": f"arn:aws:lambda:{REGION}:123456789012:function:orcheo-scheduler",
        "scheduler_role_arn": "arn:aws:iam::123456789012:role/orcheo-scheduler",
    }
    values.update(overrides)
    return AwsSettings(**values)


@contextlib.contextmanager
def moto_tables(config: dict[str, Any] | None = None, **overrides: Any) -> Iterator[AwsSettings]:
    """A fresh ``mock_aws`` with every DynamoDB table created and the models bound to it.

    ``config`` is moto's (e.g. ``{"stepfunctions": {"execute_state_machine": True}}``).
    """
    dynamo_requests_in_turn()
    with mock_aws(config=config):  # type: ignore[arg-type]
        settings = aws_settings(**overrides)
        bind(settings)
        create_tables()
        yield settings


class GoneError(JsonRESTError):
    """What API Gateway answers a post to a client that left without ``$disconnect``."""

    code = 410

    def __init__(self, connection_id: str) -> None:
        super().__init__("GoneException", f"connection {connection_id} is gone")


@contextlib.contextmanager
def gone_connections(connection_ids: set[str]) -> Iterator[None]:
    """Make moto's API Gateway answer ``GoneException`` for these connections.

    moto only records WebSocket posts; a departed client is the one answer it never
    gives, so it is added here, on moto's side.
    """
    original = ApiGatewayManagementApiBackend.post_to_connection

    def post_to_connection(self: Any, data: bytes, connection_id: str) -> None:
        if connection_id in connection_ids:
            raise GoneError(connection_id)
        original(self, data, connection_id)

    ApiGatewayManagementApiBackend.post_to_connection = post_to_connection  # type: ignore[method-assign]
    try:
        yield
    finally:
        ApiGatewayManagementApiBackend.post_to_connection = original  # type: ignore[method-assign]


def posted(connection_id: str) -> list[dict[str, Any]]:
    """The JSON messages posted to a connection (moto concatenates them; ours are objects)."""
    backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION]
    if connection_id not in backend.connections:
        return []
    decoder = json.JSONDecoder()
    text = backend.connections[connection_id].data.decode()
    messages, at = [], 0
    while at < len(text):
        message, at = decoder.raw_decode(text, at)
        messages.append(message)
    return messages
