"""Execution: the node-runner Lambda, the role every workflow's state machine assumes,
and the reconciler: an EventBridge rule sends each of those executions' end (Step
Functions' status-change event) to a Lambda that records it on the run, so runs nobody
waits for (cron fires, batches, webhooks that answer at once) are finalised too.

The API creates one state machine per workflow version, named ``<prefix>...``
(docs/compiler.md); this construct creates none. It gives the API exactly what that
takes: :meth:`grant_run_engine` lets a function create, update, delete and run
state machines *with that name prefix*, and pass *this* role to Step Functions only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.function import OrcheoFunction

if TYPE_CHECKING:
    from pathlib import Path

    from aws_cdk import RemovalPolicy

    from infra.constructs.data import DataConstruct

__all__ = ["ExecutionConstruct"]

# Step Functions' managed rule for `.sync` nested executions (sub-workflows).
_SYNC_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"
_COLON = ArnFormat.COLON_RESOURCE_NAME


class ExecutionConstruct(Construct):
    """The node runner, the state machines' role, their log group (X-Ray on)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        prefix: str,
        data: DataConstruct,
        assets: Path,
        memory: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        reconciler_memory: int = 512,
    ) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        self.prefix = prefix
        self.state_machine_arn_pattern = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=f"{prefix}*",
            arn_format=_COLON,
        )
        self.execution_arn_patterns = [
            stack.format_arn(
                service="states", resource=kind, resource_name=f"{prefix}*", arn_format=_COLON
            )
            for kind in ("execution", "express")
        ]

        # A Task runs one node: 15 minutes is Lambda's ceiling and a node's backstop
        # (a node's own `timeout` is enforced inside; see docs/deploy.md).
        self.node_runner = OrcheoFunction(
            self,
            "NodeRunner",
            key="node_runner",
            prefix=prefix,
            assets=assets,
            memory=memory,
            timeout=Duration.minutes(15),
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        data.grant_tables(
            self.node_runner.function,
            read_write="runs run_events trigger_state idempotency",
            read="workflows credentials",
        )
        data.state_bucket.grant_read_write(self.node_runner.function, "runs/*")
        # The vault: credential envelopes are decrypted under the stack's key.
        data.key.grant_decrypt(self.node_runner.function)

        self.log_group = logs.LogGroup(
            self,
            "StateMachineLogs",
            log_group_name=f"/aws/vendedlogs/states/{prefix}executions",
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.role = iam.Role(
            self,
            "StateMachineRole",
            description="Assumed by Orcheo's per-workflow-version state machines",
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": self.state_machine_arn_pattern},
                },
            ),
        )
        runner_arn = self.node_runner.function.function_arn
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeNodeRunner",
                actions=["lambda:InvokeFunction"],
                resources=[runner_arn, f"{runner_arn}:*"],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="NestedWorkflows",
                actions=["states:StartExecution"],
                resources=[self.state_machine_arn_pattern],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="NestedWorkflowsSync",
                actions=["states:DescribeExecution", "states:StopExecution"],
                resources=self.execution_arn_patterns,
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="NestedWorkflowsSyncRule",
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    stack.format_arn(service="events", resource="rule", resource_name=_SYNC_RULE)
                ],
            )
        )
        # Vended log delivery and X-Ray have no resource-level permissions: these
        # actions only accept "*" (acknowledged in the stack's nag findings).
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ExecutionLogs",
                actions=[
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                ],
                resources=["*"],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ExecutionTraces",
                actions=[
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ],
                resources=["*"],
            )
        )

        self._reconciler(
            prefix=prefix,
            data=data,
            assets=assets,
            memory=reconciler_memory,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )

    def _reconciler(
        self,
        *,
        prefix: str,
        data: DataConstruct,
        assets: Path,
        memory: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        """The reconciler Lambda and the rule that sends it every execution's end."""
        self.dlq = sqs.Queue(
            self,
            "ReconcilerDeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=data.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=removal_policy,
        )
        self.reconciler = OrcheoFunction(
            self,
            "Reconciler",
            key="reconciler",
            prefix=prefix,
            assets=assets,
            memory=memory,
            timeout=Duration.minutes(1),
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        fn = self.reconciler.function
        # It records the final state (read by reference from the bucket) redacted of
        # every secret the workflow may use: credentials are read and decrypted.
        data.grant_tables(fn, read_write="runs run_events", read="workflows credentials")
        data.key.grant_decrypt(fn)
        data.state_bucket.grant_read(fn, "runs/*")
        iam.Grant.add_to_principal(
            grantee=fn,
            actions=["states:DescribeExecution"],
            resource_arns=self.execution_arn_patterns,
        )
        self.status_rule = events.Rule(
            self,
            "ExecutionEnded",
            description="Orcheo executions that ended -> the reconciler Lambda",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "status": ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"],
                    "stateMachineArn": [{"prefix": self.state_machine_arn_pattern[:-1]}],
                },
            ),
        )
        # EventBridge retries a refused delivery for a day, then parks it in the DLQ.
        self.status_rule.add_target(
            targets.LambdaFunction(
                fn,
                dead_letter_queue=self.dlq,
                retry_attempts=20,
                max_event_age=Duration.hours(24),
            )
        )

    def grant_run_engine(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` manage and run the stack's state machines, and nothing else."""
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "states:CreateStateMachine",
                "states:UpdateStateMachine",
                "states:DeleteStateMachine",
                "states:DescribeStateMachine",
                "states:TagResource",
                "states:StartExecution",
                "states:StartSyncExecution",
                "states:ListExecutions",
            ],
            resource_arns=[self.state_machine_arn_pattern],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "states:DescribeExecution",
                "states:StopExecution",
                "states:GetExecutionHistory",
            ],
            resource_arns=self.execution_arn_patterns,
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["iam:PassRole"],
            resource_arns=[self.role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "states.amazonaws.com"}},
        )
