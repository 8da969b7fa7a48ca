"""Scheduler: the schedule group, the scheduler Lambda, and the role Scheduler assumes.

The API creates one schedule per cron trigger in the group (``ORCHEO_SCHEDULE_GROUP``),
targeting the scheduler Lambda (``ORCHEO_SCHEDULER_TARGET_ARN``) through the role here
(``ORCHEO_SCHEDULER_ROLE_ARN``). That role may invoke that one function, and only
schedules of that group may assume it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.function import OrcheoFunction

if TYPE_CHECKING:
    from pathlib import Path

    from aws_cdk import RemovalPolicy
    from aws_cdk import aws_logs as logs

    from infra.constructs.data import DataConstruct
    from infra.constructs.execution import ExecutionConstruct

__all__ = ["SchedulerConstruct"]


class SchedulerConstruct(Construct):
    """Schedules fire the scheduler Lambda asynchronously; what fails twice lands in a DLQ."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        prefix: str,
        data: DataConstruct,
        execution: ExecutionConstruct,
        assets: Path,
        memory: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        self.group_name = prefix.rstrip("-")
        self.group = scheduler.CfnScheduleGroup(self, "Group", name=self.group_name)
        self.dlq = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=data.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=removal_policy,
        )
        # One fire starts (at most) a run: a minute is ample, and a cron fire that
        # took longer would overlap the next one anyway (the overlap guard decides).
        self.function = OrcheoFunction(
            self,
            "Scheduler",
            key="scheduler",
            prefix=prefix,
            assets=assets,
            memory=memory,
            timeout=Duration.minutes(1),
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        fn = self.function.function
        fn.configure_async_invoke(
            retry_attempts=2,
            max_event_age=Duration.hours(1),
            on_failure=destinations.SqsDestination(self.dlq),
        )
        # Credentials (read) and the key (decrypt): the overlap guard reconciles the last
        # run, and recording its final state redacts every secret the workflow may use.
        data.grant_tables(
            fn,
            read_write="runs run_events trigger_state idempotency",
            read="workflows credentials",
        )
        data.key.grant_decrypt(fn)
        execution.grant_run_engine(fn)
        data.state_bucket.grant_read_write(fn, "runs/*")

        self.group_arn = stack.format_arn(
            service="scheduler", resource="schedule-group", resource_name=self.group_name
        )
        self.schedule_arn_pattern = stack.format_arn(
            service="scheduler", resource="schedule", resource_name=f"{self.group_name}/*"
        )
        self.role = iam.Role(
            self,
            "InvokeRole",
            description="Assumed by EventBridge Scheduler to fire Orcheo's scheduler Lambda",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    # Scheduler names the schedule group as the source of its calls.
                    "ArnEquals": {"aws:SourceArn": self.group_arn},
                },
            ),
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeScheduler",
                actions=["lambda:InvokeFunction"],
                resources=[fn.function_arn, f"{fn.function_arn}:*"],
            )
        )
        # A schedule's own dead-letter target (when the invoke itself is refused).
        self.dlq.grant_send_messages(self.role)

    def grant_manage_schedules(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` keep the group's schedules in step with the cron triggers."""
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "scheduler:CreateSchedule",
                "scheduler:UpdateSchedule",
                "scheduler:DeleteSchedule",
                "scheduler:GetSchedule",
            ],
            resource_arns=[self.schedule_arn_pattern],
        )
        # Listing a group's schedules: ListSchedules has no resource-level permission.
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["scheduler:ListSchedules"], resource_arns=["*"]
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["iam:PassRole"],
            resource_arns=[self.role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
        )
