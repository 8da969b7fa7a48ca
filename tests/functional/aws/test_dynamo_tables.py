"""The DynamoDB layout: definitions match the tables, and expired items read as gone."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from aws.moto_env import REGION, moto_tables
from functions.backends.aws import DynamoRunStore, DynamoTriggerState, table_definitions
from functions.backends.aws.models import GsiDefinition
from functions.backends.ports import EventRecord, RunRecord
from functions.errors import NotFoundError
from functions.settings import AwsSettings, TableNames

DAY = 86_400.0


@pytest.fixture(scope="module")
def settings() -> Iterator[AwsSettings]:
    with moto_tables() as created:
        yield created


def test_every_table_is_defined_once_with_the_configured_name(settings: AwsSettings) -> None:
    definitions = table_definitions(settings.tables)
    assert [d.store for d in definitions] == list(vars(TableNames()))
    assert {d.table_name for d in definitions} == set(vars(settings.tables).values())
    by_store = {d.store: d for d in definitions}
    assert by_store["runs"].indexes == (
        GsiDefinition("by_created", ("list_pk", "S"), ("list_sk", "S")),
        GsiDefinition("by_status", ("status", "S"), ("list_sk", "S")),
        GsiDefinition("by_workflow", ("workflow_id", "S"), ("list_sk", "S")),
    )
    assert by_store["run_events"].range_key == ("seq", "N")
    assert by_store["run_events"].stream_view_type == "NEW_IMAGE"
    assert by_store["idempotency"].owner == "powertools"


def test_the_definitions_describe_the_tables_the_models_create(settings: AwsSettings) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    for definition in table_definitions(settings.tables):
        if definition.owner != "orcheo":
            continue
        table = client.describe_table(TableName=definition.table_name)["Table"]
        types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        keys = {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]}
        assert (keys["HASH"], types[keys["HASH"]]) == definition.hash_key
        range_key = (keys["RANGE"], types[keys["RANGE"]]) if "RANGE" in keys else None
        assert range_key == definition.range_key
        indexes = sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", []))
        assert indexes == [i.name for i in definition.indexes]
        stream = table.get("StreamSpecification", {}).get("StreamViewType")
        assert stream == definition.stream_view_type
        ttl = client.describe_time_to_live(TableName=definition.table_name)
        ttl_attribute = ttl["TimeToLiveDescription"].get("AttributeName")
        assert ttl_attribute == definition.ttl_attribute, definition.store


def test_an_expired_run_and_its_events_read_as_gone(settings: AwsSettings) -> None:
    now = [1_700_000_000.0]
    runs = DynamoRunStore(retention=30 * DAY, clock=lambda: now[0])
    runs.create_run(RunRecord(id="old", workflow_id="w", version=1, created_at=now[0]))
    runs.append_events([EventRecord(run_id="old", seq=1, type="run_started", workflow_id="w")])
    now[0] += 30 * DAY - 1
    assert runs.get_run("old").id == "old"
    now[0] += 1
    with pytest.raises(NotFoundError):
        runs.get_run("old")
    assert runs.list_runs(workflow_id="w").items == []
    assert runs.list_runs().items == []
    assert runs.list_events("old") == []
    # DynamoDB deletes expired items lazily (moto never does): they are still there ...
    client = boto3.client("dynamodb", region_name=REGION)
    item = client.get_item(TableName=settings.tables.runs, Key={"id": {"S": "old"}})["Item"]
    assert float(item["expires_at"]["N"]) == 1_700_000_000 + 30 * DAY
    # ... yet the id is free again, and the new run does not inherit the old events.
    runs.create_run(RunRecord(id="old", workflow_id="w", version=2, created_at=now[0]))
    assert runs.list_events("old") == []
    runs.append_events([EventRecord(run_id="old", seq=1, type="run_started", workflow_id="w")])
    assert runs.get_run("old").version == 2


def test_trigger_state_items_carry_a_ttl_no_earlier_than_their_expiry(
    settings: AwsSettings,
) -> None:
    state = DynamoTriggerState(clock=lambda: 1_000.5)
    assert state.add_nonce("n", ttl=10)
    client = boto3.client("dynamodb", region_name=REGION)
    item = client.get_item(TableName=settings.tables.trigger_state, Key={"key": {"S": "nonce#n"}})
    assert float(item["Item"]["expires_at"]["N"]) == 1_010.5
    assert int(item["Item"]["ttl"]["N"]) >= 1_011
