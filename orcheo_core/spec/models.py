"""The WorkflowSpec: one JSON format that the canvas, the API and the engine share."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

__all__ = [
    "END",
    "ChannelSpec",
    "ConditionalEdge",
    "CronTrigger",
    "EdgeSpec",
    "JoinEdge",
    "ManualTrigger",
    "NodeSpec",
    "Position",
    "Reducer",
    "RetryPolicySpec",
    "StaticEdge",
    "TriggerSpec",
    "UiSpec",
    "WebhookTrigger",
    "WorkflowSettings",
    "WorkflowSpec",
]

END = "__end__"
"""Edge target that ends the run (``"END"`` is accepted as an alias)."""

NODE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$"

Reducer = Literal["replace", "append", "merge", "add"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Position(_Model):
    x: float
    y: float


class UiSpec(_Model):
    """Canvas-only information; the engine ignores it."""

    position: Position | None = None
    label: str | None = None


class RetryPolicySpec(_Model):
    """How often and how patiently a failing node is retried."""

    max_attempts: int = Field(3, ge=1, le=20, description="Attempts in all, the first included.")
    initial_interval: float = Field(0.5, ge=0, le=3600, description="Seconds before the 2nd try.")
    backoff_factor: float = Field(2.0, ge=1, le=10)
    max_interval: float = Field(60.0, ge=0, le=3600)
    jitter: bool = Field(True, description="Randomise each wait by up to +-25%.")
    retry_on: list[str] = Field(
        default_factory=list,
        description="Error type names that are retried (e.g. HTTPStatusError, TimeoutError); "
        "empty means every error except configuration errors.",
    )


class NodeSpec(_Model):
    id: str = Field(pattern=NODE_ID_PATTERN)
    type: str = Field(min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, str] = Field(
        default_factory=dict,
        description="Credential slot -> credential id or name; secrets never appear in a spec.",
    )
    retry: RetryPolicySpec | None = None
    timeout: float | None = Field(None, gt=0, le=86400, description="Seconds per attempt.")
    ui: UiSpec = Field(default_factory=UiSpec)


class StaticEdge(_Model):
    kind: Literal["static"] = "static"
    source: str
    target: str


class ConditionalEdge(_Model):
    """Routes from a routing node (If/Else, Switch): route label -> target node."""

    kind: Literal["conditional"] = "conditional"
    source: str
    routes: dict[str, str]
    default: str | None = Field(None, description="Target for a label with no route.")


class JoinEdge(_Model):
    """``target`` runs once every node in ``sources`` has finished."""

    kind: Literal["join"] = "join"
    sources: list[str] = Field(min_length=2)
    target: str


def _edge_kind(value: Any) -> str:
    if isinstance(value, dict):
        if "kind" in value:
            return str(value["kind"])
        if "routes" in value:
            return "conditional"
        if "sources" in value:
            return "join"
        return "static"
    return str(getattr(value, "kind", "static"))


EdgeSpec = Annotated[
    Annotated[StaticEdge, Tag("static")]
    | Annotated[ConditionalEdge, Tag("conditional")]
    | Annotated[JoinEdge, Tag("join")],
    Discriminator(_edge_kind),
]


class ChannelSpec(_Model):
    """One key of the workflow state and how concurrent or repeated writes combine."""

    reducer: Reducer = Field(
        "replace",
        description="replace: last write wins; append: extend a list; "
        "merge: shallow-merge dicts; add: numbers add, lists/strings concatenate.",
    )
    default: Any = Field(None, description="Initial value when the run's inputs omit the key.")
    description: str = ""


class ManualTrigger(_Model):
    type: Literal["manual"] = "manual"
    id: str = "manual"


class WebhookTrigger(_Model):
    type: Literal["webhook"] = "webhook"
    id: str = "webhook"
    methods: list[Literal["GET", "POST", "PUT", "PATCH", "DELETE"]] = Field(
        default_factory=lambda: ["POST"]  # type: ignore[arg-type]
    )
    signature: Literal["hmac-sha256", "none"] = "hmac-sha256"
    response: Literal["accepted", "static", "output"] = "accepted"


class CronTrigger(_Model):
    type: Literal["cron"] = "cron"
    id: str = "cron"
    expression: str
    timezone: str = "UTC"
    inputs: dict[str, Any] = Field(default_factory=dict)


TriggerSpec = Annotated[ManualTrigger | WebhookTrigger | CronTrigger, Field(discriminator="type")]


class WorkflowSettings(_Model):
    max_steps: int = Field(100, ge=1, le=100_000, description="Supersteps before a run stops.")
    run_timeout: float | None = Field(3600.0, gt=0, description="Seconds for the whole run.")


class WorkflowSpec(_Model):
    """A workflow as the canvas draws it and the engine runs it.

    Example::

        WorkflowSpec.model_validate({
            "name": "greet",
            "entry": "hello",
            "nodes": [{"id": "hello", "type": "set_variable",
                       "config": {"values": {"greeting": "Hi {{ state.name }}"}}}],
            "edges": [],
        })
    """

    schema_version: Literal[1] = 1
    id: str | None = Field(None, pattern=NODE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    entry: str | None = Field(
        None, description="The first node; may be omitted when exactly one node has no inputs."
    )
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)
    state: dict[str, ChannelSpec] = Field(default_factory=dict)
    triggers: list[TriggerSpec] = Field(default_factory=list)
    settings: WorkflowSettings = Field(default_factory=WorkflowSettings)

    def node(self, node_id: str) -> NodeSpec:
        """The node with this id (KeyError if there is none)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)
