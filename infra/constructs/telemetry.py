"""Telemetry: the WebSocket API and the push of run events to its subscribers.

``$connect``/``$disconnect``/``$default`` go to the websocket Lambda (it checks the
token and records subscriptions in the connections table); the run-events table's
stream feeds the telemetry Lambda, which posts each event to the connections
subscribed to its run or workflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.api import access_logs
from infra.constructs.function import OrcheoFunction

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from aws_cdk import RemovalPolicy

    from infra.constructs.data import DataConstruct

__all__ = ["WS_ACCESS_LOG_FORMAT", "TelemetryConstruct"]

WS_ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"time":"$context.requestTime","route":"$context.routeKey",'
    '"event":"$context.eventType","connectionId":"$context.connectionId",'
    '"status":"$context.status","error":"$context.integrationErrorMessage"}'
)


class TelemetryConstruct(Construct):
    """WebSocket API + stage, the websocket and telemetry Lambdas, the stream and its DLQ."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        prefix: str,
        stage_name: str,
        data: DataConstruct,
        assets: Path,
        memory: Mapping[str, int],
        throttle_rate: int,
        throttle_burst: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id)
        common = {
            "assets": assets,
            "prefix": prefix,
            "log_retention": log_retention,
            "removal_policy": removal_policy,
        }
        # Route handlers answer at once (a table write or read); 10 s is generous.
        self.websocket = OrcheoFunction(
            self,
            "WebSocket",
            key="websocket",
            memory=memory["websocket"],
            timeout=Duration.seconds(10),
            **common,  # type: ignore[arg-type]
        )
        # One stream batch (<= 100 events) fans out to its subscribers' connections.
        self.telemetry = OrcheoFunction(
            self,
            "Telemetry",
            key="telemetry",
            memory=memory["telemetry"],
            timeout=Duration.seconds(60),
            **common,  # type: ignore[arg-type]
        )
        # $connect checks the token (and records its use); subscribe checks the run and
        # replays its stored events.
        data.grant_tables(
            self.websocket.function, read_write="connections tokens", read="runs run_events"
        )
        data.grant_tables(self.telemetry.function, read_write="connections")

        integration = integrations.WebSocketLambdaIntegration("WebSocket", self.websocket.function)
        self.api = apigw.WebSocketApi(
            self,
            "WebSocketApi",
            description="Orcheo live telemetry",
            connect_route_options=apigw.WebSocketRouteOptions(integration=integration),
            disconnect_route_options=apigw.WebSocketRouteOptions(integration=integration),
            default_route_options=apigw.WebSocketRouteOptions(integration=integration),
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=removal_policy
        )
        self.stage = apigw.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=stage_name,
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=throttle_rate, burst_limit=throttle_burst),
            access_log_settings=access_logs(self.access_logs, WS_ACCESS_LOG_FORMAT),
        )
        for fn in (self.websocket, self.telemetry):
            self.api.grant_manage_connections(fn.function)

        self.dlq = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=data.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=removal_policy,
        )
        self.telemetry.function.add_event_source(
            sources.DynamoEventSource(
                data.tables["run_events"],
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=100,
                max_batching_window=Duration.seconds(0),
                bisect_batch_on_error=True,
                retry_attempts=3,
                max_record_age=Duration.hours(1),
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.dlq),
            )
        )

    @property
    def url(self) -> str:
        """``wss://<id>.execute-api.<region>.amazonaws.com/<stage>``"""
        return self.stage.url
