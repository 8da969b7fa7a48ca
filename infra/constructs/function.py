"""The one way this stack makes a Lambda: python3.12 on arm64, its own role and log group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.names import FUNCTIONS

if TYPE_CHECKING:
    from pathlib import Path

    from aws_cdk import RemovalPolicy

__all__ = ["OrcheoFunction", "function_name"]


def function_name(prefix: str, key: str) -> str:
    """``orcheo-<stage>-node-runner``: fixed, so an ARN can be written before the function
    exists (a function's environment may then name its own ARN without a cycle)."""
    return f"{prefix}{key.replace('_', '-')}"


class OrcheoFunction(Construct):
    """A Lambda from ``<assets>/<key>`` with a role that may only write its own logs.

    The role starts with nothing but ``logs:CreateLogStream``/``PutLogEvents`` on the
    function's log group (no AWSLambdaBasicExecutionRole, whose ``logs:*`` on ``*`` is
    wider than a function needs); each concern grants the rest on named resources.
    X-Ray tracing is active (its agent needs ``xray:Put*`` on ``*``: X-Ray has no
    resource-level permissions).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        key: str,
        prefix: str,
        assets: Path,
        memory: int,
        timeout: Duration,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, id)
        spec = FUNCTIONS[key]
        self.function_name = function_name(prefix, key)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, removal_policy=removal_policy
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.description}: execution role",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=self.function_name,
            description=spec.description,
            code=lambda_.Code.from_asset(str(assets / spec.asset)),
            handler=spec.handler,
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            memory_size=memory,
            timeout=timeout,
            environment={"POWERTOOLS_SERVICE_NAME": f"orcheo-{key.replace('_', '-')}"},
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            reserved_concurrent_executions=reserved_concurrency,
        )

    @property
    def arn(self) -> str:
        """The function's ARN built from its name (no reference to the resource)."""
        return Stack.of(self).format_arn(
            service="lambda",
            resource="function",
            resource_name=self.function_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
