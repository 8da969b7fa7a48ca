"""Service settings, read from the environment (``ORCHEO_*``) with sensible defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from orcheo_core.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["AwsSettings", "Settings", "TableNames"]


def _float_or_none(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number (Unix seconds), not {raw!r}") from None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """Where data lives and how the service listens.

    ``home`` (``ORCHEO_HOME``, default ``~/.orcheo``) holds the SQLite database and,
    on first start, the admin token file.
    """

    home: Path = field(default_factory=lambda: Path("~/.orcheo").expanduser())
    host: str = "127.0.0.1"
    port: int = 8000
    static_dir: Path | None = None
    max_body_bytes: int = 5 * 1024 * 1024
    event_data_limit: int = 256 * 1024
    max_batch: int = 1000
    run_wait_timeout: float = 300.0
    test_clock: float | None = None
    """Test only (``ORCHEO_TEST_CLOCK``): a settable clock starting here (``/api/system/clock``)."""

    @property
    def db_path(self) -> Path:
        return self.home / "orcheo.db"

    @property
    def admin_token_path(self) -> Path:
        return self.home / "admin-token"

    @property
    def vault_key_path(self) -> Path:
        """The local vault's AES-256 key (created with mode 0600 on first start)."""
        return self.home / "vault.key"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``ORCHEO_HOME``, ``ORCHEO_HOST``, ``ORCHEO_PORT``, ``ORCHEO_STATIC_DIR``,
        ``ORCHEO_MAX_BODY_BYTES``, ``ORCHEO_EVENT_DATA_LIMIT`` and (tests only)
        ``ORCHEO_TEST_CLOCK``."""
        env = os.environ if env is None else env
        home = env.get("ORCHEO_HOME") or "~/.orcheo"
        static = env.get("ORCHEO_STATIC_DIR")
        return cls(
            home=Path(home).expanduser(),
            host=env.get("ORCHEO_HOST") or "127.0.0.1",
            port=_int(env, "ORCHEO_PORT", 8000),
            static_dir=Path(static).expanduser() if static else None,
            max_body_bytes=_int(env, "ORCHEO_MAX_BODY_BYTES", 5 * 1024 * 1024),
            event_data_limit=_int(env, "ORCHEO_EVENT_DATA_LIMIT", 256 * 1024),
            test_clock=_float_or_none(env, "ORCHEO_TEST_CLOCK"),
        )


@dataclass(frozen=True)
class TableNames:
    """The DynamoDB table of each store (see docs/aws-backend.md for their layout)."""

    workflows: str = "orcheo-workflows"
    runs: str = "orcheo-runs"
    run_events: str = "orcheo-run-events"
    credentials: str = "orcheo-credentials"
    connections: str = "orcheo-connections"
    tokens: str = "orcheo-tokens"
    trigger_state: str = "orcheo-trigger-state"
    idempotency: str = "orcheo-idempotency"

    @classmethod
    def with_prefix(cls, prefix: str) -> TableNames:
        """Every table named ``<prefix><store>``, e.g. ``orcheo-prod-runs`` for ``orcheo-prod-``."""
        return cls(
            **{name: f"{prefix}{default.removeprefix('orcheo-')}" for name, default in _TABLES}
        )


_TABLES: tuple[tuple[str, str], ...] = tuple(
    (name, str(value)) for name, value in vars(TableNames()).items()
)


@dataclass(frozen=True)
class AwsSettings:
    """Where the AWS backend's resources are (the stack passes them to every Lambda).

    ``ORCHEO_AWS_REGION`` (else ``AWS_REGION``), ``ORCHEO_TABLE_PREFIX`` (table names
    ``<prefix>workflows``, ``<prefix>runs``, ...; default ``orcheo-``),
    ``ORCHEO_KMS_KEY_ARN`` (the vault's key), ``ORCHEO_SCHEDULE_GROUP``,
    ``ORCHEO_SCHEDULER_TARGET_ARN`` + ``ORCHEO_SCHEDULER_ROLE_ARN`` (the scheduler Lambda
    and the role EventBridge Scheduler assumes to invoke it),
    ``ORCHEO_WEBSOCKET_CALLBACK_URL`` (the WebSocket API's ``https://`` stage URL the
    telemetry push posts to), ``ORCHEO_NODE_RUNNER_ARN``, ``ORCHEO_STATE_MACHINE_ROLE_ARN``
    and ``ORCHEO_STATE_MACHINE_PREFIX`` (the Step Functions engine: the Lambda every Task
    invokes, the role executions run as, and the prefix of the state machine names) and
    ``ORCHEO_RUN_RETENTION_DAYS`` (runs and their events
    expire this long after they were created; unset: kept until deleted) and
    ``ORCHEO_STATE_BUCKET`` (the S3 bucket for state passed by reference).
    """

    region: str = "us-east-1"
    tables: TableNames = field(default_factory=TableNames)
    kms_key_arn: str = ""
    schedule_group: str = "orcheo"
    scheduler_target_arn: str = ""
    scheduler_role_arn: str = ""
    websocket_callback_url: str = ""
    node_runner_arn: str = ""
    code_runner_arn: str = ""
    """The code-runner Lambda every piece of user code runs in (``ORCHEO_CODE_RUNNER_ARN``);
    empty: this process's own sandbox."""
    state_machine_role_arn: str = ""
    state_machine_prefix: str = "orcheo-"
    run_retention_days: float | None = None
    state_bucket: str = ""
    """The S3 bucket holding state passed by reference between states (``ORCHEO_STATE_BUCKET``)."""
    endpoint_url: str | None = None
    """Test only: another DynamoDB endpoint (a local emulator); None for AWS itself."""

    @property
    def run_retention(self) -> float | None:
        """``run_retention_days`` in seconds."""
        days = self.run_retention_days
        return None if days is None else days * 86_400.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AwsSettings:
        """Settings from the ``ORCHEO_*`` variables above (the stack sets them)."""
        env = os.environ if env is None else env
        prefix = env.get("ORCHEO_TABLE_PREFIX") or "orcheo-"
        return cls(
            region=env.get("ORCHEO_AWS_REGION") or env.get("AWS_REGION") or "us-east-1",
            tables=TableNames.with_prefix(prefix),
            kms_key_arn=env.get("ORCHEO_KMS_KEY_ARN", ""),
            schedule_group=env.get("ORCHEO_SCHEDULE_GROUP") or "orcheo",
            scheduler_target_arn=env.get("ORCHEO_SCHEDULER_TARGET_ARN", ""),
            scheduler_role_arn=env.get("ORCHEO_SCHEDULER_ROLE_ARN", ""),
            websocket_callback_url=env.get("ORCHEO_WEBSOCKET_CALLBACK_URL", ""),
            node_runner_arn=env.get("ORCHEO_NODE_RUNNER_ARN", ""),
            code_runner_arn=env.get("ORCHEO_CODE_RUNNER_ARN", ""),
            state_machine_role_arn=env.get("ORCHEO_STATE_MACHINE_ROLE_ARN", ""),
            state_machine_prefix=env.get("ORCHEO_STATE_MACHINE_PREFIX") or "orcheo-",
            run_retention_days=_float_or_none(env, "ORCHEO_RUN_RETENTION_DAYS"),
            state_bucket=env.get("ORCHEO_STATE_BUCKET", ""),
        )
