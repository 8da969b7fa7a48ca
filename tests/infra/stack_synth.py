"""Synthesise the stack for the infra tests, once per test run.

The stack is built from ``cdk.json``'s context with placeholder Lambda assets (the
template does not depend on their content) and no canvas build, then checked by
cdk-nag's AwsSolutions pack through the v3 Validations API. What the tests read (the
template, the nag findings, the acknowledgments, a few logical ids) is plain JSON, so
the first pytest-xdist worker to need it synthesises and the others read its file.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Synth:
    json: dict[str, Any]
    findings: list[str]
    acknowledgments: dict[str, str]
    logical_ids: dict[str, str] = field(default_factory=dict)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == kind}

    @cached_property
    def template(self) -> Any:
        from aws_cdk.assertions import Template

        return Template.from_json(self.json, skip_cyclical_dependencies_check=True)


def context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


def synth(tmp: Path, **overrides: Any) -> Synth:
    import aws_cdk as cdk
    from aws_cdk import CfnResource, Validations
    from cdk_nag import AwsSolutionsChecks

    from infra.assets import placeholder_assets
    from infra.config import StackConfig
    from infra.stack import OrcheoStack

    ctx = {
        **context(),
        **{f"orcheo:{k}": v for k, v in overrides.items()},
        # The template is all these tests read: no copy of asset folders into cdk.out.
        "aws:cdk:disable-asset-staging": True,
    }
    app = cdk.App(context=ctx, outdir=str(tmp / "cdk.out"))
    config = StackConfig.from_context(app.node.try_get_context)
    stack = OrcheoStack(
        app,
        "Orcheo-test",
        config=config,
        assets=placeholder_assets(tmp / "assets"),
        canvas=None,
        env=cdk.Environment(account="123456789012", region="eu-west-1"),
    )
    report = AwsSolutionsChecks(app).validate_scope(app)
    app.synth()
    template = json.loads((tmp / "cdk.out" / f"{stack.artifact_id}.template.json").read_text())
    acknowledgments = {}
    for construct in stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in dict(entry.data).items():
                    acknowledgments[f"{construct.node.path}: {rule}"] = reason

    def logical_id(construct: Any) -> str:
        child = construct.node.default_child
        assert isinstance(child, CfnResource)
        return str(stack.resolve(stack.get_logical_id(child)))

    return Synth(
        json=template,
        findings=[
            f"{v.rule_name} ({v.severity}) on {[r.construct_path for r in v.violating_resources]}"
            for v in report.violations
        ],
        acknowledgments=acknowledgments,
        logical_ids={
            "telemetry": logical_id(stack.telemetry.telemetry.function),
            "websocket": logical_id(stack.telemetry.websocket.function),
            "api_policy": logical_id(stack.api.function.role.node.find_child("DefaultPolicy")),
        },
    )


def shared_synth(base: Path) -> Synth:
    """:func:`synth` once for every worker sharing ``base`` (a file lock orders them)."""
    cache = base / "orcheo-synth.json"
    with (base / "orcheo-synth.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            result = synth(base / "orcheo-synth")
            cache.write_text(json.dumps(vars(result)))
    data = json.loads(cache.read_text())
    return Synth(**data)
