"""The one stack: data, execution, scheduler, api, telemetry, canvas, monitoring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_logs as logs

from infra.constructs.api import ApiConstruct
from infra.constructs.canvas import CanvasConstruct
from infra.constructs.data import DataConstruct
from infra.constructs.execution import ExecutionConstruct
from infra.constructs.monitoring import MonitoringConstruct
from infra.constructs.scheduler import SchedulerConstruct
from infra.constructs.telemetry import TelemetryConstruct
from infra.nag import acknowledge_findings
from infra.names import ENV, IDS

if TYPE_CHECKING:
    from pathlib import Path

    from constructs import Construct

    from infra.config import StackConfig
    from infra.constructs.function import OrcheoFunction

__all__ = ["OrcheoStack"]


class OrcheoStack(Stack):
    """Orcheo's whole personal cloud in one stack.

    ``assets`` holds one folder per Lambda (``make lambda-assets`` builds them into
    ``build/lambda``); ``canvas`` is the built frontend (``frontend/dist``), or None to
    deploy only ``config.json``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StackConfig,
        assets: Path,
        canvas: Path | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.config = config
        removal = RemovalPolicy.DESTROY if config.destroy else RemovalPolicy.RETAIN
        retention = _RETENTION[config.log_retention_days]
        prefix = config.prefix

        self.data = DataConstruct(
            self,
            IDS.DATA,
            prefix=prefix,
            removal_policy=removal,
            state_expiry_days=config.run_retention_days,
        )
        common: dict[str, Any] = {
            "assets": assets,
            "log_retention": retention,
            "removal_policy": removal,
        }
        self.execution = ExecutionConstruct(
            self,
            IDS.EXECUTION,
            prefix=prefix,
            data=self.data,
            memory=config.memory["node_runner"],
            reconciler_memory=config.memory["reconciler"],
            **common,
        )
        self.scheduler = SchedulerConstruct(
            self,
            IDS.SCHEDULER,
            prefix=prefix,
            data=self.data,
            execution=self.execution,
            memory=config.memory["scheduler"],
            **common,
        )
        self.canvas = CanvasConstruct(
            self,
            IDS.CANVAS,
            removal_policy=removal,
            domain_name=config.domain_name,
            certificate_arn=config.certificate_arn,
        )
        self.api = ApiConstruct(
            self,
            IDS.API,
            prefix=prefix,
            memory=config.memory["api"],
            cors_origins=self.canvas.origins,
            throttle_rate=config.throttle_rate,
            throttle_burst=config.throttle_burst,
            **common,
        )
        api_fn = self.api.function.function
        self.data.grant_tables(
            api_fn,
            read_write=("workflows runs run_events credentials tokens trigger_state idempotency"),
        )
        # The vault encrypts and decrypts credential envelopes under the stack's key.
        self.data.key.grant_encrypt_decrypt(api_fn)
        # Runs started here may pass large inputs by reference; `wait` follows the stream.
        self.data.state_bucket.grant_read_write(api_fn, "runs/*")
        self.data.tables["run_events"].grant_stream_read(api_fn)
        self.execution.grant_run_engine(api_fn)
        self.scheduler.grant_manage_schedules(api_fn)

        self.telemetry = TelemetryConstruct(
            self,
            IDS.TELEMETRY,
            prefix=prefix,
            stage_name=config.stage,
            data=self.data,
            memory=config.memory,
            throttle_rate=config.throttle_rate,
            throttle_burst=config.throttle_burst,
            **common,
        )
        self._wire_environment()
        self.canvas.deploy(
            canvas,
            {"apiUrl": self.api.url, "wsUrl": self.telemetry.url, "stage": config.stage},
        )

        self.monitoring = MonitoringConstruct(
            self,
            IDS.MONITORING,
            prefix=prefix,
            key=self.data.key,
            functions={fn.function_name.removeprefix(prefix): fn.function for fn in self.functions},
            queues={
                "scheduler": self.scheduler.dlq,
                "telemetry": self.telemetry.dlq,
                "reconciler": self.execution.dlq,
            },
            alarm_email=config.alarm_email,
        )

        CfnOutput(self, "CanvasUrl", value=self.canvas.url)
        CfnOutput(self, "ApiUrl", value=self.api.url)
        CfnOutput(self, "WebSocketUrl", value=self.telemetry.url)
        CfnOutput(self, "ApiFunctionName", value=api_fn.function_name)
        CfnOutput(self, "TablePrefix", value=prefix)
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        acknowledge_findings(self)

    @property
    def functions(self) -> list[OrcheoFunction]:
        return [
            self.api.function,
            self.execution.node_runner,
            self.execution.reconciler,
            self.scheduler.function,
            self.telemetry.websocket,
            self.telemetry.telemetry,
        ]

    def _wire_environment(self) -> None:
        """Give every Lambda the same ``ORCHEO_*`` settings (``AwsSettings.from_env``).

        Each handler builds the whole AWS stack of services from them, so every
        function gets every value. Function ARNs are written from the fixed function
        names, so a function may name itself without a CloudFormation cycle.
        """
        config = self.config
        env: dict[str, str] = {
            ENV.TABLE_PREFIX: config.prefix,
            ENV.KMS_KEY_ARN: self.data.key.key_arn,
            ENV.STATE_BUCKET: self.data.state_bucket.bucket_name,
            ENV.NODE_RUNNER_ARN: self.execution.node_runner.arn,
            ENV.STATE_MACHINE_PREFIX: config.prefix,
            ENV.STATE_MACHINE_ROLE_ARN: self.execution.role.role_arn,
            ENV.STATE_MACHINE_LOG_GROUP_ARN: self.execution.log_group.log_group_arn,
            ENV.SCHEDULE_GROUP: self.scheduler.group_name,
            ENV.SCHEDULER_TARGET_ARN: self.scheduler.function.arn,
            ENV.SCHEDULER_ROLE_ARN: self.scheduler.role.role_arn,
            ENV.SCHEDULER_DLQ_ARN: self.scheduler.dlq.queue_arn,
            ENV.WEBSOCKET_CALLBACK_URL: self.telemetry.stage.callback_url,
        }
        if config.run_retention_days:
            env[ENV.RUN_RETENTION_DAYS] = str(config.run_retention_days)
        for fn in self.functions:
            for name, value in env.items():
                fn.function.add_environment(name, value)


_RETENTION: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
}
