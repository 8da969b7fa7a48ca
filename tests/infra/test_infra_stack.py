"""The synthesised stack: every resource kind and the properties a deployment relies on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.names import FUNCTIONS, TABLES
from tests.infra.stack_synth import Synth

PREFIX = "orcheo-prod-"


def _one(synth: Synth, kind: str) -> dict[str, Any]:
    found = synth.resources(kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return next(iter(found.values()))["Properties"]


def _key_id(synth: Synth) -> str:
    (key_id,) = synth.resources("AWS::KMS::Key")
    return key_id


def test_kms_key_rotates(synthesized: Synth) -> None:
    synthesized.template.resource_count_is("AWS::KMS::Key", 1)
    synthesized.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_every_table_is_on_demand_cmk_encrypted_with_pitr(synthesized: Synth) -> None:
    tables = synthesized.resources("AWS::DynamoDB::Table")
    by_name = {t["Properties"]["TableName"]: t["Properties"] for t in tables.values()}
    assert set(by_name) == {f"{PREFIX}{spec.suffix}" for spec in TABLES}
    key = _key_id(synthesized)
    for name, props in by_name.items():
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["SSESpecification"] == {
            "KMSMasterKeyId": {"Fn::GetAtt": [key, "Arn"]},
            "SSEEnabled": True,
            "SSEType": "KMS",
        }, name
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], name


def test_ttl_and_streams_follow_the_table_specs(synthesized: Synth) -> None:
    tables = {
        t["Properties"]["TableName"]: t["Properties"]
        for t in synthesized.resources("AWS::DynamoDB::Table").values()
    }
    for spec in TABLES:
        props = tables[f"{PREFIX}{spec.suffix}"]
        ttl = props.get("TimeToLiveSpecification")
        if spec.ttl_attribute is None:
            assert ttl is None, spec.store
        else:
            assert ttl == {"AttributeName": spec.ttl_attribute, "Enabled": True}, spec.store
        stream = props.get("StreamSpecification")
        assert stream == (
            None if spec.stream_view_type is None else {"StreamViewType": spec.stream_view_type}
        ), spec.store
    assert tables[f"{PREFIX}run-events"]["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"


def test_lambdas_are_python312_arm64_traced_with_their_handlers(synthesized: Synth) -> None:
    ours = {
        props["Properties"]["Handler"]: props["Properties"]
        for props in synthesized.resources("AWS::Lambda::Function").values()
        if props["Properties"]["Handler"].startswith("functions.")
    }
    assert set(ours) == {f.handler for f in FUNCTIONS.values()}
    for handler, props in ours.items():
        assert props["Runtime"] == "python3.12", handler
        assert props["Architectures"] == ["arm64"], handler
        assert props["TracingConfig"] == {"Mode": "Active"}, handler
        assert props["LoggingConfig"]["LogFormat"] == "JSON", handler
        assert 128 <= props["MemorySize"] <= 10240, handler
        assert props["Timeout"] <= 900, handler
    assert ours["functions.api.handler.handler"]["Timeout"] <= 29  # API Gateway's limit


def test_http_api_routes_throttling_access_logs_and_cors(synthesized: Synth) -> None:
    t = synthesized.template
    t.resource_count_is("AWS::ApiGatewayV2::Api", 2)
    t.has_resource_properties(
        "AWS::ApiGatewayV2::Api",
        {
            "ProtocolType": "HTTP",
            "CorsConfiguration": Match.object_like(
                {
                    "AllowOrigins": [
                        {
                            "Fn::Join": [
                                "",
                                [
                                    "https://",
                                    {
                                        "Fn::GetAtt": [
                                            Match.string_like_regexp("Canvas"),
                                            "DomainName",
                                        ]
                                    },
                                ],
                            ]
                        }
                    ]
                }
            ),
        },
    )
    routes = {
        r["Properties"]["RouteKey"]
        for r in synthesized.resources("AWS::ApiGatewayV2::Route").values()
    }
    for path in ("/api/{proxy+}", "/hooks/{proxy+}"):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            assert f"{method} {path}" in routes
    assert {"$connect", "$disconnect", "$default"} <= routes
    stages = [s["Properties"] for s in synthesized.resources("AWS::ApiGatewayV2::Stage").values()]
    assert len(stages) == 2
    for stage in stages:
        settings = stage["DefaultRouteSettings"]
        assert settings["ThrottlingRateLimit"] == 50
        assert settings["ThrottlingBurstLimit"] == 100
        log = stage["AccessLogSettings"]
        assert "DestinationArn" in log
        assert "$context.requestId" in log["Format"]
        assert "authorization" not in log["Format"].lower()  # tokens never reach a log


def test_websocket_routes_go_to_the_websocket_lambda(synthesized: Synth) -> None:
    integrations = synthesized.resources("AWS::ApiGatewayV2::Integration")
    ws_api = next(
        k
        for k, v in synthesized.resources("AWS::ApiGatewayV2::Api").items()
        if v["Properties"]["ProtocolType"] == "WEBSOCKET"
    )
    ws_routes = [
        r["Properties"]
        for r in synthesized.resources("AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["ApiId"] == {"Ref": ws_api}
    ]
    assert {r["RouteKey"] for r in ws_routes} == {"$connect", "$disconnect", "$default"}
    targets = {
        json.dumps(
            integrations[r["Target"]["Fn::Join"][1][1]["Ref"]]["Properties"]["IntegrationUri"]
        )
        for r in ws_routes
    }
    websocket = synthesized.logical_ids["websocket"]
    assert len(targets) == 1 and websocket in targets.pop()


def test_run_events_stream_feeds_telemetry_with_a_dlq(synthesized: Synth) -> None:
    mapping = _one(synthesized, "AWS::Lambda::EventSourceMapping")
    assert "StreamArn" in json.dumps(mapping["EventSourceArn"])
    assert "DataRunEventsTable" in json.dumps(mapping["EventSourceArn"])
    assert mapping["FunctionName"] == {"Ref": synthesized.logical_ids["telemetry"]}
    assert mapping["BisectBatchOnFunctionError"] is True
    assert "OnFailure" in mapping["DestinationConfig"]


def test_schedule_group_and_the_role_scheduler_assumes(synthesized: Synth) -> None:
    group = _one(synthesized, "AWS::Scheduler::ScheduleGroup")
    assert group["Name"] == "orcheo-prod"
    roles = synthesized.resources("AWS::IAM::Role")
    trust = [
        r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        for r in roles.values()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        == "scheduler.amazonaws.com"
    ]
    assert len(trust) == 1
    assert "aws:SourceAccount" in trust[0]["Condition"]["StringEquals"]


def test_canvas_is_private_behind_cloudfront_oac(synthesized: Synth) -> None:
    t = synthesized.template
    t.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    t.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {"OriginAccessControlConfig": Match.object_like({"OriginAccessControlOriginType": "s3"})},
    )
    dist = _one(synthesized, "AWS::CloudFront::Distribution")["DistributionConfig"]
    assert dist["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert dist["DefaultRootObject"] == "index.html"
    origin = dist["Origins"][0]
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    for bucket in synthesized.resources("AWS::S3::Bucket").values():
        block = bucket["Properties"]["PublicAccessBlockConfiguration"]
        assert all(block.values())


def test_config_json_carries_the_api_and_websocket_urls(synthesized: Synth) -> None:
    deployment = _one(synthesized, "Custom::CDKBucketDeployment")
    _, config_markers = deployment["SourceMarkers"]  # [site, config.json]
    values = [json.dumps(v) for v in config_markers.values()]
    api = next(
        k
        for k, v in synthesized.resources("AWS::ApiGatewayV2::Api").items()
        if v["Properties"]["ProtocolType"] == "HTTP"
    )
    ws = next(k for k in synthesized.resources("AWS::ApiGatewayV2::Api") if k != api)
    assert any(f'"{api}", "ApiEndpoint"' in v for v in values)
    assert any('\\"wss://' in v and ws in v and "/prod" in v for v in values)
    assert deployment["DistributionPaths"] == ["/*"]  # a deploy invalidates the cache


@pytest.mark.parametrize("metric", ["Errors", "Throttles", "ApproximateNumberOfMessagesVisible"])
def test_alarms_exist_for_each_signal(synthesized: Synth, metric: str) -> None:
    alarms = [a["Properties"] for a in synthesized.resources("AWS::CloudWatch::Alarm").values()]
    matching = [a for a in alarms if a.get("MetricName") == metric]
    # One per function; one per dead-letter queue (scheduler, telemetry, reconciler).
    expected = {
        "Errors": len(FUNCTIONS),
        "Throttles": len(FUNCTIONS),
        "ApproximateNumberOfMessagesVisible": 3,
    }[metric]
    assert len(matching) == expected
    for alarm in alarms:
        assert alarm["AlarmActions"], "every alarm notifies the alarm topic"


def test_failed_and_timed_out_runs_alarm_across_the_stacks_state_machines(
    synthesized: Synth,
) -> None:
    alarms = [a["Properties"] for a in synthesized.resources("AWS::CloudWatch::Alarm").values()]
    queries = [json.dumps(a.get("Metrics", "")) for a in alarms]
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut"):
        assert any(metric in q and PREFIX in q for q in queries), metric


def test_alarm_topic_is_encrypted_and_email_is_optional(synthesized: Synth) -> None:
    topic = _one(synthesized, "AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic
    synthesized.template.resource_count_is("AWS::SNS::Subscription", 0)


REVIEWED_KINDS = {
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudWatch::Alarm",
    "AWS::DynamoDB::Table",
    "AWS::Events::Rule",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::KMS::Key",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::Scheduler::ScheduleGroup",
    "Custom::CDKBucketDeployment",
}


def test_the_stack_holds_only_reviewed_resource_kinds(synthesized: Synth) -> None:
    """A new kind of resource is a reviewed change: add it here with its tests."""
    kinds = {r["Type"] for r in synthesized.json["Resources"].values()}
    assert kinds == REVIEWED_KINDS


# Actions AWS offers no resource-level permission for: the only ones allowed on "*".
UNSCOPABLE = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "dynamodb:ListStreams",
    "scheduler:ListSchedules",
}
# aws-cdk-lib's BucketDeployment provider invalidates the distribution it deploys to.
CDK_PROVIDER_UNSCOPED = {"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_iam_statements_name_their_resources(synthesized: Synth) -> None:
    policies = synthesized.resources("AWS::IAM::Policy")
    assert len(policies) == 9
    for name, policy in policies.items():
        allowed = UNSCOPABLE | (CDK_PROVIDER_UNSCOPED if "CDKBucketDeployment" in name else set())
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = _listed(statement["Action"])
            assert all(a != "*" and not a.endswith(":*") for a in actions), (name, actions)
            if "*" in _listed(statement["Resource"]):
                assert set(actions) <= allowed, (name, actions)


def test_service_roles_trust_only_this_account_and_their_own_sources(synthesized: Synth) -> None:
    roles = synthesized.resources("AWS::IAM::Role").values()
    by_service = {}
    for role in roles:
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        by_service.setdefault(statement["Principal"]["Service"], []).append(statement)
    # Every function + the CDK provider.
    assert len(by_service["lambda.amazonaws.com"]) == len(FUNCTIONS) + 1
    (states,) = by_service["states.amazonaws.com"]
    assert states["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert f':stateMachine:{PREFIX}*"]]}}' in json.dumps(states["Condition"]["ArnLike"])
    (schedules,) = by_service["scheduler.amazonaws.com"]
    assert "schedule-group/orcheo-prod" in json.dumps(schedules["Condition"]["ArnEquals"])


def test_the_api_may_pass_only_its_two_roles_to_their_services(synthesized: Synth) -> None:
    api_policy = synthesized.json["Resources"][synthesized.logical_ids["api_policy"]]
    passes = [
        s
        for s in api_policy["Properties"]["PolicyDocument"]["Statement"]
        if "iam:PassRole" in _listed(s["Action"])
    ]
    services = sorted(s["Condition"]["StringEquals"]["iam:PassedToService"] for s in passes)
    assert services == ["scheduler.amazonaws.com", "states.amazonaws.com"]
    assert all(len(_listed(s["Resource"])) == 1 for s in passes)


def test_every_execution_end_reaches_the_reconciler(synthesized: Synth) -> None:
    """Runs nobody waits for are finalised: Step Functions' status-change events for the
    stack's state machines go to the reconciler Lambda, retried, then dead-lettered."""
    (rule,) = [
        r["Properties"]
        for r in synthesized.resources("AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("source") == ["aws.states"]
    ]
    pattern = rule["EventPattern"]
    assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
    assert pattern["detail"]["status"] == ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
    (prefix,) = pattern["detail"]["stateMachineArn"]
    assert f":stateMachine:{PREFIX}" in json.dumps(prefix)
    (target,) = rule["Targets"]
    functions = synthesized.resources("AWS::Lambda::Function")
    (reconciler,) = [
        lid
        for lid, fn in functions.items()
        if fn["Properties"]["Handler"] == FUNCTIONS["reconciler"].handler
    ]
    assert target["Arn"] == {"Fn::GetAtt": [reconciler, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 20
    assert "DeadLetterConfig" in target
