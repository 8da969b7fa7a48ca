"""Every name the stack shares with the code: construct ids, handler strings, tables, env.

The service reads its resources from ``ORCHEO_*`` environment variables
(``functions/settings.py``); the stack sets them. The infra tests check both sides of
each name here against the code, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ENV",
    "IDS",
    "ENV_AHEAD",
    "FUNCTIONS",
    "TABLES",
    "FunctionSpec",
    "GsiSpec",
    "TableSpec",
]


class IDS:
    """Construct ids of the stack and its concerns (they seed the logical ids: renaming
    one replaces its resources, so they stay fixed)."""

    STACK = "Orcheo-{stage}"
    DATA = "Data"
    EXECUTION = "Execution"
    SCHEDULER = "Scheduler"
    CANVAS = "Canvas"
    API = "Api"
    TELEMETRY = "Telemetry"
    MONITORING = "Monitoring"


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda: its asset folder (``build/lambda/<asset>``) and its handler string."""

    key: str
    handler: str
    description: str

    @property
    def asset(self) -> str:
        return self.key


FUNCTIONS: dict[str, FunctionSpec] = {
    f.key: f
    for f in (
        FunctionSpec("api", "functions.api.handler.handler", "Orcheo HTTP API (/api, /hooks)"),
        FunctionSpec(
            "node_runner",
            "functions.node_runner.handler.handler",
            "Orcheo node runner: one workflow step per Step Functions Task",
        ),
        FunctionSpec(
            "scheduler",
            "functions.scheduler.handler.handler",
            "Orcheo scheduler: EventBridge Scheduler target (cron, polling)",
        ),
        FunctionSpec(
            "reconciler",
            "functions.reconciler.handler.handler",
            "Orcheo reconciler: finalises a run when its Step Functions execution ends",
        ),
        FunctionSpec(
            "websocket",
            "functions.websocket.handler.handler",
            "Orcheo WebSocket routes ($connect, $disconnect, $default)",
        ),
        FunctionSpec(
            "telemetry",
            "functions.telemetry.handler.handler",
            "Orcheo telemetry: run-events stream to WebSocket subscribers",
        ),
    )
}


@dataclass(frozen=True)
class GsiSpec:
    name: str
    hash_key: tuple[str, str]
    range_key: tuple[str, str] | None = None


@dataclass(frozen=True)
class TableSpec:
    """One DynamoDB table: ``store`` is its field of ``functions.settings.TableNames``.

    Mirrors ``functions.backends.aws.models.table_definitions()``;
    ``tests/infra/test_drift.py`` compares the two.
    """

    store: str
    hash_key: tuple[str, str]
    range_key: tuple[str, str] | None = None
    indexes: tuple[GsiSpec, ...] = ()
    ttl_attribute: str | None = None
    stream_view_type: str | None = None

    @property
    def suffix(self) -> str:
        """The table name after the prefix (``run_events`` -> ``run-events``)."""
        return self.store.replace("_", "-")


_BY_CREATED = GsiSpec("by_created", ("list_pk", "S"), ("list_sk", "S"))

TABLES: tuple[TableSpec, ...] = (
    TableSpec("workflows", ("pk", "S"), ("sk", "S"), indexes=(_BY_CREATED,)),
    TableSpec(
        "runs",
        ("id", "S"),
        indexes=(
            _BY_CREATED,
            GsiSpec("by_status", ("status", "S"), ("list_sk", "S")),
            GsiSpec("by_workflow", ("workflow_id", "S"), ("list_sk", "S")),
        ),
        ttl_attribute="expires_at",
    ),
    TableSpec(
        "run_events",
        ("run_id", "S"),
        ("seq", "N"),
        ttl_attribute="expires_at",
        stream_view_type="NEW_IMAGE",
    ),
    TableSpec("credentials", ("pk", "S")),
    TableSpec(
        "connections",
        ("connection_id", "S"),
        ("topic", "S"),
        indexes=(GsiSpec("by_topic", ("topic", "S"), ("connection_id", "S")),),
        ttl_attribute="ttl",
    ),
    TableSpec("tokens", ("pk", "S")),
    TableSpec("trigger_state", ("key", "S"), ttl_attribute="ttl"),
    # Powertools' idempotency persistence layer, in its default layout.
    TableSpec("idempotency", ("id", "S"), ttl_attribute="expiration"),
)


class ENV:
    """Environment variables the stack sets, as ``functions/settings.py`` reads them."""

    TABLE_PREFIX = "ORCHEO_TABLE_PREFIX"
    KMS_KEY_ARN = "ORCHEO_KMS_KEY_ARN"
    SCHEDULE_GROUP = "ORCHEO_SCHEDULE_GROUP"
    SCHEDULER_TARGET_ARN = "ORCHEO_SCHEDULER_TARGET_ARN"
    SCHEDULER_ROLE_ARN = "ORCHEO_SCHEDULER_ROLE_ARN"
    RUN_RETENTION_DAYS = "ORCHEO_RUN_RETENTION_DAYS"
    NODE_RUNNER_ARN = "ORCHEO_NODE_RUNNER_ARN"
    STATE_MACHINE_ROLE_ARN = "ORCHEO_STATE_MACHINE_ROLE_ARN"
    STATE_MACHINE_PREFIX = "ORCHEO_STATE_MACHINE_PREFIX"
    WEBSOCKET_CALLBACK_URL = "ORCHEO_WEBSOCKET_CALLBACK_URL"
    STATE_BUCKET = "ORCHEO_STATE_BUCKET"
    # Set ahead of the code (see ENV_AHEAD).
    STATE_MACHINE_LOG_GROUP_ARN = "ORCHEO_STATE_MACHINE_LOG_GROUP_ARN"
    SCHEDULER_DLQ_ARN = "ORCHEO_SCHEDULER_DLQ_ARN"


ENV_AHEAD: frozenset[str] = frozenset({ENV.STATE_MACHINE_LOG_GROUP_ARN, ENV.SCHEDULER_DLQ_ARN})
"""Variables the stack sets that ``functions/settings.py`` does not read yet: the log
group each state machine the API creates should log to, and the DLQ a schedule's
target should name. The drift test allows exactly these beyond what the settings read;
drop a name from here once the settings read it."""
