"""WorkflowSpec: the workflow format shared by the canvas, the API and the engine."""

from orcheo_core.spec.diff import SpecDiff, diff_specs
from orcheo_core.spec.models import (
    END,
    ChannelSpec,
    ConditionalEdge,
    CronTrigger,
    EdgeSpec,
    JoinEdge,
    ManualTrigger,
    NodeSpec,
    RetryPolicySpec,
    StaticEdge,
    TriggerSpec,
    WebhookTrigger,
    WorkflowSettings,
    WorkflowSpec,
)
from orcheo_core.spec.validate import ValidationReport, load_spec, validate_spec

__all__ = [
    "END",
    "ChannelSpec",
    "ConditionalEdge",
    "CronTrigger",
    "EdgeSpec",
    "JoinEdge",
    "ManualTrigger",
    "NodeSpec",
    "RetryPolicySpec",
    "SpecDiff",
    "StaticEdge",
    "TriggerSpec",
    "ValidationReport",
    "WebhookTrigger",
    "WorkflowSettings",
    "WorkflowSpec",
    "diff_specs",
    "json_schema",
    "load_spec",
    "validate_spec",
]


def json_schema() -> dict[str, object]:
    """The JSON Schema of WorkflowSpec (what the canvas and external tools validate against)."""
    return WorkflowSpec.model_json_schema()
