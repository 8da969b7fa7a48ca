"""cdk-nag (AwsSolutions) findings this stack accepts, each with the reason it is accepted.

The rules run on every synth (``app.py`` adds the AwsSolutions pack as a validation
plugin) and in the infra tests; an unacknowledged error fails both. An
acknowledgment names one finding on one construct: wildcard findings name the exact
wildcard (``AwsSolutions-IAM5[Resource::...]``), so a new, wider one is still caught.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, CfnResource, Stack, Token, Validations

if TYPE_CHECKING:
    from constructs import IConstruct

    from infra.stack import OrcheoStack

__all__ = ["acknowledge", "acknowledge_findings"]

_XRAY = (
    "Only actions without resource-level permissions are on '*': X-Ray's "
    "PutTraceSegments/PutTelemetryRecords (tracing is active), dynamodb:ListStreams "
    "(stream readers) and, for the api, scheduler:ListSchedules (tests/infra "
    "test_iam_statements_name_their_resources holds this list)."
)
_KMS = (
    "CDK's grant for using the stack's one customer-managed key (tables, queues, "
    "bucket): scoped to that key's ARN; the wildcards are kms:ReEncryptFrom/To and "
    "kms:GenerateDataKey(WithoutPlaintext)."
)
_INDEX = (
    "The table's own global secondary indexes (<table ARN>/index/*, from "
    "Table.grant_*): queries on an index need its ARN, and this names no other table."
)
_S3_ACTIONS = (
    "Bucket.grant_read/grant_read_write on the stack's state bucket, limited to the "
    "runs/ prefix: Get/List/Delete/Abort variants of object access, no bucket admin."
)
_QUALIFIED = (
    "The function's versions and aliases (<function ARN>:*): a caller may invoke a "
    "qualified ARN; no other function is named."
)
_STATES = (
    "The API creates one state machine per workflow version at run time (docs/"
    "compiler.md), so names are not known at deploy time; the orcheo-<stage>- prefix "
    "confines the grant to this stack's state machines and their executions."
)
_L1 = (
    "python3.12 is pinned: the Lambda assets are cp312 manylinux2014_aarch64 wheels "
    "and .pyc files (make lambda-assets); moving runtime means rebuilding them, a "
    "reviewed change."
)


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept ``rule`` on ``scope`` (and its children) for ``reason``."""
    if len(reason) < 40:
        raise ValueError(f"acknowledging {rule} needs a real reason, not {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def _ref(resource: IConstruct) -> str:
    """How cdk-nag prints ``Fn::GetAtt [<logical id>, Arn]`` in a finding."""
    stack = Stack.of(resource)
    child = resource.node.default_child
    assert isinstance(child, CfnResource)
    return f"<{stack.resolve(stack.get_logical_id(child))}.Arn>"


def _policy(role: IConstruct) -> IConstruct:
    """Where a role's statement findings are acknowledged: the role, so that both its
    DefaultPolicy and the OverflowPolicyN that CDK splits off a large one are covered
    (a role holds nothing else)."""
    return role


def acknowledge_findings(stack: OrcheoStack) -> None:
    """Every finding of the AwsSolutions pack that this stack accepts, and why."""
    _functions(stack)
    _engine(stack)
    _edges(stack)
    _storage(stack)
    _cdk_providers(stack)


def _functions(stack: OrcheoStack) -> None:
    data = stack.data
    functions = [
        stack.api.function,
        stack.execution.node_runner,
        stack.execution.reconciler,
        stack.scheduler.function,
        stack.telemetry.websocket,
        stack.telemetry.telemetry,
    ]
    for fn in functions:
        acknowledge(fn.function, "AwsSolutions-L1", _L1)
        policy = _policy(fn.role)
        acknowledge(policy, "AwsSolutions-IAM5[Resource::*]", _XRAY)
        acknowledge(policy, "AwsSolutions-IAM5[Action::kms:ReEncrypt*]", _KMS)
        acknowledge(policy, "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]", _KMS)
        for store in ("workflows", "runs", "connections"):
            acknowledge(
                policy, f"AwsSolutions-IAM5[Resource::{_ref(data.tables[store])}/index/*]", _INDEX
            )
    readers = (stack.api.function, stack.execution.node_runner, stack.execution.reconciler)
    for fn in (*readers, stack.scheduler.function):
        policy = _policy(fn.role)
        for action in ("GetObject*", "GetBucket*", "List*", "DeleteObject*", "Abort*"):
            acknowledge(policy, f"AwsSolutions-IAM5[Action::s3:{action}]", _S3_ACTIONS)
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{_ref(data.state_bucket)}/runs/*]",
            "Objects under runs/ of the stack's state bucket: state passed by reference "
            "is keyed runs/<run id>/..., ids known only at run time.",
        )


def _region_account(stack: Stack) -> tuple[str, str]:
    """Region and account as cdk-nag prints them (pseudo parameters or literals)."""
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    return region, account


def _where(stack: Stack) -> str:
    return ":".join(_region_account(stack))


def _states_patterns(stack: OrcheoStack) -> list[str]:
    prefix = stack.config.prefix
    base = f"arn:<AWS::Partition>:states:{_where(stack)}"
    return [f"{base}:{kind}:{prefix}*" for kind in ("stateMachine", "execution", "express")]


def _engine(stack: OrcheoStack) -> None:
    execution = stack.execution
    sm_policy = _policy(execution.role)
    acknowledge(
        sm_policy,
        "AwsSolutions-IAM5[Resource::*]",
        "Step Functions' vended log delivery (logs:*LogDelivery, PutResourcePolicy, "
        "Describe*) and X-Ray accept only '*' (no resource-level permissions); the "
        "log group itself is named in each state machine's LoggingConfiguration.",
    )
    acknowledge(
        sm_policy,
        f"AwsSolutions-IAM5[Resource::{_ref(execution.node_runner.function)}:*]",
        _QUALIFIED,
    )
    holders = (execution.role, execution.reconciler.role)
    for holder in (*holders, stack.api.function.role, stack.scheduler.function.role):
        for pattern in _states_patterns(stack):
            acknowledge(_policy(holder), f"AwsSolutions-IAM5[Resource::{pattern}]", _STATES)
    scheduler = stack.scheduler
    invoke_policy = _policy(scheduler.role)
    acknowledge(
        invoke_policy,
        f"AwsSolutions-IAM5[Resource::{_ref(scheduler.function.function)}:*]",
        _QUALIFIED,
    )
    acknowledge(invoke_policy, "AwsSolutions-IAM5[Action::kms:ReEncrypt*]", _KMS)
    acknowledge(invoke_policy, "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]", _KMS)
    acknowledge(
        _policy(stack.api.function.role),
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:{_where(stack)}:"
        f"schedule/{scheduler.group_name}/*]",
        "The API creates one schedule per cron trigger at run time; the grant is limited "
        "to schedules in this stack's schedule group.",
    )
    for queue in (scheduler.dlq, stack.telemetry.dlq, execution.dlq):
        acknowledge(
            queue,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue (the scheduler's asynchronous "
            "on-failure destination, the run-events stream's on-failure target, or the "
            "execution-ended rule's dead-letter target); "
            "the rule only recognises DLQs named in another queue's redrive policy.",
        )


def _edges(stack: OrcheoStack) -> None:
    for route in stack.api.http_api.node.children:
        if isinstance(route.node.default_child, CfnResource) and "{proxy+}" in route.node.id:
            acknowledge(
                route,
                "AwsSolutions-APIG4",
                "Authorisation is the app's own: /api/* checks hashed bearer tokens "
                "(scopes read/run/admin) in the api Lambda; /hooks/* are public webhooks "
                "verified by HMAC signature with replay nonce or shared secret.",
            )
    telemetry = stack.telemetry
    for route in telemetry.api.node.children:
        if route.node.id.endswith("-Route"):
            acknowledge(
                route,
                "AwsSolutions-APIG4",
                "The websocket Lambda authorises $connect itself (the bearer token of "
                "the API, hashed lookup) and refuses the connection without one; "
                "$disconnect and $default exist only on an accepted connection.",
            )
    for fn in (telemetry.websocket, telemetry.telemetry):
        acknowledge(
            _policy(fn.role),
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:{_where(stack)}:"
            f"<{stack.resolve(stack.get_logical_id(_cfn(telemetry.api)))}>"
            "/*/*/@connections/*]",
            "execute-api:ManageConnections on this WebSocket API's connections only: "
            "connection ids exist only at run time.",
        )
    dist = stack.canvas.distribution
    acknowledge(
        dist,
        "AwsSolutions-CFR1",
        "A personal workflow canvas is used from wherever its owner travels; every API "
        "call it makes needs a bearer token anyway.",
    )
    acknowledge(
        dist,
        "AwsSolutions-CFR2",
        "The distribution serves static files only (no API behind it); a WAF web ACL "
        "would add a fixed monthly cost to a stack meant to cost ~0 at rest.",
    )
    acknowledge(
        dist,
        "AwsSolutions-CFR3",
        "Static, public canvas files: CloudFront standard logs would need a log bucket "
        "and cost more than they tell; API requests are logged at API Gateway.",
    )
    acknowledge(
        dist,
        "AwsSolutions-CFR4",
        "Without a custom domain CloudFront's default certificate cannot enforce TLS 1.2; "
        "with orcheo:domain_name set, the TLSv1.2_2021 policy applies.",
    )


def _storage(stack: OrcheoStack) -> None:
    acknowledge(
        stack.data.state_bucket,
        "AwsSolutions-S1",
        "Only the stack's own Lambdas read and write it (IAM-scoped, KMS-encrypted, TLS "
        "only); server access logs would need a second bucket for no added audit value "
        "over CloudTrail.",
    )
    acknowledge(
        stack.canvas.bucket,
        "AwsSolutions-S1",
        "Reached only through CloudFront (origin access control); it holds the public "
        "canvas build, whose requests CloudFront sees.",
    )


def _cdk_providers(stack: OrcheoStack) -> None:
    """CDK's own singleton providers (BucketDeployment, auto-delete objects)."""
    for child in stack.node.children:
        if not child.node.id.startswith("Custom::"):
            continue
        reason = (
            "A provider Lambda that aws-cdk-lib creates and owns "
            f"({child.node.id.split('::')[1][:40]}): its runtime, managed "
            "AWSLambdaBasicExecutionRole and S3 wildcards (asset and target buckets) are "
            "CDK's and run only during deployments."
        )
        canvas = _ref(stack.canvas.bucket)
        for rule in (
            "AwsSolutions-L1",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            "AwsSolutions-IAM5[Resource::*]",
            "AwsSolutions-IAM5[Action::s3:GetObject*]",
            "AwsSolutions-IAM5[Action::s3:GetBucket*]",
            "AwsSolutions-IAM5[Action::s3:List*]",
            "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
            "AwsSolutions-IAM5[Action::s3:Abort*]",
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-"
            f"{_region_account(stack)[1]}-{_region_account(stack)[0]}/*]",
            f"AwsSolutions-IAM5[Resource::{canvas}/*]",
        ):
            acknowledge(child, rule, reason)


def _cfn(resource: IConstruct) -> CfnResource:
    child = resource.node.default_child
    assert isinstance(child, CfnResource)
    return child
