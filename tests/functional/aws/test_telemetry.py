"""Run events on AWS: the run-events stream feeds subscribers and the WebSocket push."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from aws.moto_env import REGION, aws_settings, gone_connections, moto_tables, posted
from functions.backends.aws import DynamoRunStore
from functions.backends.aws.bus import (
    DynamoEventBus,
    TelemetryPusher,
    WebSocketConnections,
    telemetry_pusher,
)
from functions.backends.aws.models import EventItem
from functions.backends.ports import EventRecord, RunRecord

ENDPOINT = f"https://abc123.execute-api.{REGION}.amazonaws.com/prod"


@pytest.fixture
def moto() -> Iterator[None]:
    with moto_tables():
        yield


def event(seq: int, run_id: str = "r1", workflow_id: str = "w1") -> EventRecord:
    return EventRecord(
        run_id=run_id, seq=seq, type="node_completed", workflow_id=workflow_id, data={"n": seq}
    )


def stored_run(runs: DynamoRunStore, run_id: str = "r1") -> None:
    runs.create_run(RunRecord(id=run_id, workflow_id="w1", version=1, created_at=1.0))


def stream_records() -> list[dict[str, Any]]:
    """Every record of the run-events stream, as a Lambda event source mapping sends them."""
    client = boto3.client(
        "dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
    )
    arn = EventItem._get_connection().describe_table()["LatestStreamArn"]
    (shard,) = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = client.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return list(client.get_records(ShardIterator=iterator)["Records"])


async def test_events_another_process_stores_reach_subscribers_through_the_stream(
    moto: None,
) -> None:
    runs = DynamoRunStore()
    stored_run(runs)
    bus = DynamoEventBus()
    subscription = bus.subscribe(["run:r1"])
    runs.append_events([event(1), event(2)])  # a node-runner Lambda, say: no publish here
    assert await subscription.get(timeout=0.01) is None
    assert bus.pump() == 2
    assert [e.seq for e in [await subscription.get(1), await subscription.get(1)]] == [1, 2]
    # The engine's publish of an event already stored (and streamed) adds nothing.
    bus.publish(event(2))
    runs.append_events([event(3)])
    bus.pump()
    got = await subscription.get(1)
    assert got is not None and got.seq == 3
    assert await subscription.get(timeout=0.01) is None


async def test_follow_polls_the_stream_until_stopped(moto: None) -> None:
    runs = DynamoRunStore()
    stored_run(runs)
    bus = DynamoEventBus()
    subscription = bus.subscribe(["workflow:w1"])
    stop = asyncio.Event()
    follower = asyncio.create_task(bus.follow(stop, interval=0.01))
    runs.append_events([event(1)])
    got = await subscription.get(timeout=10)
    assert got == event(1)
    stop.set()
    await asyncio.wait_for(follower, 10)


def test_the_push_reaches_each_listener_of_the_run_or_workflow_once(moto: None) -> None:
    connections = WebSocketConnections()
    connections.subscribe("c-run", ["run:r1"])
    connections.subscribe("c-both", ["run:r1", "workflow:w1"])
    connections.subscribe("c-other", ["run:r2"])
    runs = DynamoRunStore()
    stored_run(runs)
    runs.append_events([event(1), event(2)])
    client = boto3.client("apigatewaymanagementapi", region_name=REGION, endpoint_url=ENDPOINT)
    pusher = TelemetryPusher(connections, client)
    assert pusher.handle_stream(stream_records()) == 4
    assert [m["seq"] for m in posted("c-run")] == [1, 2]
    assert posted("c-both") == [event(1).to_json(), event(2).to_json()]
    assert posted("c-other") == []


def test_a_connection_that_is_gone_is_forgotten(moto: None) -> None:
    connections = WebSocketConnections()
    connections.subscribe("c-left", ["run:r1", "workflow:w1"])
    connections.subscribe("c-here", ["run:r1"])
    pusher = telemetry_pusher(aws_settings(websocket_callback_url=ENDPOINT))
    with gone_connections({"c-left"}):
        assert pusher.push(event(1)) == ["c-here"]
    assert connections.topics("c-left") == []
    assert connections.listeners(["run:r1", "workflow:w1"]) == ["c-here"]
    assert pusher.push(event(2)) == ["c-here"]


def test_a_connection_expires_after_its_maximum_age(moto: None) -> None:
    now = [1_000.0]
    connections = WebSocketConnections(max_age=7200, clock=lambda: now[0])
    connections.subscribe("c1", ["run:r1"])
    assert connections.listeners(["run:r1"]) == ["c1"]
    now[0] += 7200
    assert connections.listeners(["run:r1"]) == []
