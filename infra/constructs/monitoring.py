"""Monitoring: alarms on Lambda errors and throttles, failed runs and dead letters.

Every alarm notifies one SNS topic (encrypted with the stack's key); an e-mail
subscription is added when ``orcheo:alarm_email`` is set. The state machines are
created at run time, one per workflow version, so their alarms query every state
machine of the stack's prefix with CloudWatch Metrics Insights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_sqs as sqs

__all__ = ["MonitoringConstruct"]

_PERIOD = Duration.minutes(5)


class MonitoringConstruct(Construct):
    """One alarm per signal that needs a person; all of them notify ``topic``."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        prefix: str,
        key: kms.IKey,
        functions: Mapping[str, lambda_.IFunction],
        queues: Mapping[str, sqs.IQueue],
        alarm_email: str | None,
    ) -> None:
        super().__init__(scope, id)
        self.topic = sns.Topic(
            self, "Alarms", display_name="Orcheo alarms", master_key=key, enforce_ssl=True
        )
        # CloudWatch publishes to the encrypted topic with the key, so it may use it.
        key.grant(
            iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*"
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []
        for name, fn in functions.items():
            self._alarm(f"{name}-errors", fn.metric_errors(period=_PERIOD, statistic="Sum"))
            self._alarm(f"{name}-throttles", fn.metric_throttles(period=_PERIOD, statistic="Sum"))
        for name, queue in queues.items():
            self._alarm(
                f"{name}-dead-letters",
                queue.metric_approximate_number_of_messages_visible(
                    period=_PERIOD, statistic="Maximum"
                ),
            )
        for metric in ("ExecutionsFailed", "ExecutionsTimedOut"):
            query = (
                f'SELECT SUM({metric}) FROM SCHEMA("AWS/States", StateMachineArn) '
                f"WHERE StateMachineArn LIKE '%:stateMachine:{prefix}%'"
            )
            self._alarm(
                f"runs-{metric.removeprefix('Executions').lower()}",
                cloudwatch.MathExpression(expression=query, period=_PERIOD, label=metric),
            )

    def _alarm(self, name: str, metric: cloudwatch.IMetric) -> None:
        alarm = cloudwatch.Alarm(
            self,
            "".join(part.title() for part in name.replace("_", "-").split("-")),
            metric=metric,
            alarm_description=f"Orcheo: {name.replace('-', ' ')} (see docs/deploy.md, Alarms)",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
