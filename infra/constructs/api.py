"""API: the HTTP API in front of the api Lambda (``/api/*`` and ``/hooks/*``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jsii
from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.function import OrcheoFunction

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from aws_cdk import RemovalPolicy

__all__ = ["ACCESS_LOG_FORMAT", "ROUTE_PATHS", "ApiConstruct", "access_logs"]

ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"time":"$context.requestTime","method":"$context.httpMethod",'
    '"route":"$context.routeKey","status":"$context.status",'
    '"bytes":"$context.responseLength","latencyMs":"$context.responseLatency",'
    '"error":"$context.integrationErrorMessage"}'
)
"""One JSON line per request; no headers, bodies or query strings (they may carry
tokens and webhook secrets)."""

ROUTE_PATHS = ("/api/{proxy+}", "/hooks/{proxy+}")


class ApiConstruct(Construct):
    """The api Lambda behind an HTTP API: two proxy routes, stage throttling, access logs.

    Authorisation is the app's own (hashed bearer tokens; webhooks verified by
    signature), so the routes have no API Gateway authorizer. CORS admits the canvas
    origins only; API Gateway answers the preflight.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        prefix: str,
        assets: Path,
        memory: int,
        cors_origins: Sequence[str],
        throttle_rate: int,
        throttle_burst: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id)
        # API Gateway gives up on an integration after 30 s; a webhook that waits for
        # its run's result uses an Express workflow well inside that.
        self.function = OrcheoFunction(
            self,
            "Api",
            key="api",
            prefix=prefix,
            assets=assets,
            memory=memory,
            timeout=Duration.seconds(29),
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            description="Orcheo HTTP API",
            create_default_stage=False,
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=list(cors_origins),
                allow_methods=[apigw.CorsHttpMethod.ANY],
                allow_headers=["authorization", "content-type", "idempotency-key"],
                expose_headers=["location"],
                max_age=Duration.hours(1),
            ),
        )
        integration = integrations.HttpLambdaIntegration("Api", self.function.function)
        for path in ROUTE_PATHS:
            self.http_api.add_routes(
                path=path,
                methods=[
                    apigw.HttpMethod.GET,
                    apigw.HttpMethod.POST,
                    apigw.HttpMethod.PUT,
                    apigw.HttpMethod.PATCH,
                    apigw.HttpMethod.DELETE,
                ],
                integration=integration,
            )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=removal_policy
        )
        self.stage = apigw.HttpStage(
            self,
            "Stage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=throttle_rate, burst_limit=throttle_burst),
            access_log_settings=access_logs(self.access_logs),
        )

    @property
    def url(self) -> str:
        """``https://<id>.execute-api.<region>.amazonaws.com`` (no trailing slash)."""
        return self.http_api.api_endpoint


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup, fields: str) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)
        self._format = apigateway.AccessLogFormat.custom(fields)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return self._format


def access_logs(
    log_group: logs.ILogGroup, fields: str = ACCESS_LOG_FORMAT
) -> apigw.IAccessLogSettings:
    """A stage's access-log settings: one JSON line per request into ``log_group``."""
    return _AccessLogSettings(log_group, fields)
