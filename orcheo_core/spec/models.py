"""The WorkflowSpec: one JSON format that the canvas, the API and the engine share."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from orcheo_core.errors import ConfigError

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
    "WebhookResponse",
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


TRIGGER_ID_PATTERN = NODE_ID_PATTERN
STATE_KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
MAX_WEBHOOK_BODY = 10 * 1024 * 1024
MAX_WAIT_SECONDS = 29.0  # API Gateway ends a request after 30 s


class ManualTrigger(_Model):
    """Runs started by hand (the canvas' Run button, the API, the CLI)."""

    type: Literal["manual"] = "manual"
    id: str = Field("manual", pattern=TRIGGER_ID_PATTERN)


class WebhookResponse(_Model):
    """What a webhook answers. Fields a mode does not use are ignored (and warned about)."""

    mode: Literal["accepted", "static", "wait"] = Field(
        "accepted",
        description='accepted: answer at once with {"run_id"} (202); static: answer at once '
        "with status_code, body and content_type; wait: wait for the run and answer with its "
        "final state (or the output_key value).",
    )
    status_code: int | None = Field(
        None,
        ge=200,
        le=599,
        description="Status of a successful answer: 202 for accepted, 200 for static and wait "
        "unless set. In wait mode a failed run answers 500 and a run still going at "
        "the timeout 202.",
    )
    body: Any = Field(
        None,
        description="static: the body; a string is sent as it is, any other value as JSON; "
        "null sends no body.",
    )
    content_type: str | None = Field(
        None,
        max_length=200,
        description="static and wait: Content-Type of a string body (text/plain by default); "
        "other values are sent as application/json.",
    )
    timeout: float = Field(
        25.0,
        gt=0,
        le=MAX_WAIT_SECONDS,
        description="wait: seconds to wait for the run before answering 202 with its run id "
        "(the run goes on).",
    )
    output_key: str | None = Field(
        None,
        pattern=STATE_KEY_PATTERN,
        description="wait: answer with this state key's value instead of the whole final state.",
    )


_LEGACY_AUTH = {"hmac-sha256": "hmac", "none": "none"}
_LEGACY_RESPONSE = {"accepted": "accepted", "static": "static", "output": "wait", "wait": "wait"}


class WebhookTrigger(_Model):
    """Runs started by an HTTP request to /hooks/{workflow_id}.

    The run's state receives the request under input_key as {method, path, query,
    headers, body}. The signing secret is not part of the spec: the service generates
    it and stores it with the workflow. A workflow has at most one webhook
    trigger (it has one URL).
    """

    type: Literal["webhook"] = "webhook"
    id: str = Field("webhook", pattern=TRIGGER_ID_PATTERN)
    methods: list[HttpMethod] = Field(
        default_factory=lambda: ["POST"],  # type: ignore[arg-type]
        min_length=1,
        description="HTTP methods accepted; other methods get 405.",
    )
    auth: Literal["hmac", "none"] = Field(
        "hmac",
        description="hmac: requests must carry X-Orcheo-Signature (HMAC-SHA256 with a "
        "timestamp; replays refused) made with the webhook's secret, which the service "
        "generates and keeps (never in the spec); none: a public hook, anyone with the URL "
        "can start runs.",
    )
    response: WebhookResponse = Field(default_factory=WebhookResponse)
    input_key: str = Field(
        "webhook",
        pattern=STATE_KEY_PATTERN,
        description="State key that receives the request {method, path, query, headers, body}.",
    )
    max_body_bytes: int = Field(
        1024 * 1024,
        ge=1,
        le=MAX_WEBHOOK_BODY,
        description="Largest body accepted (bytes, at most 10 MiB); larger requests get 413.",
    )

    @model_validator(mode="before")
    @classmethod
    def _legacy_fields(cls, data: Any) -> Any:
        # specs saved before `auth` replaced `signature` still load
        if isinstance(data, dict) and "signature" in data and "auth" not in data:
            data = dict(data)
            value = data.pop("signature")
            data["auth"] = _LEGACY_AUTH.get(value, value) if isinstance(value, str) else value
        return data

    @field_validator("methods", mode="before")
    @classmethod
    def _normalise_methods(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out: list[Any] = []
        for item in value:
            verb = item.upper() if isinstance(item, str) else item
            if verb not in out:
                out.append(verb)
        return out

    @field_validator("response", mode="before")
    @classmethod
    def _response_shorthand(cls, value: Any) -> Any:
        # "response": "wait" is short for {"mode": "wait"} ("output" is its old name)
        if isinstance(value, str):
            return {"mode": _LEGACY_RESPONSE.get(value, value)}
        return value


class CronTrigger(_Model):
    """Runs started on a schedule: a cron expression read in a time zone."""

    type: Literal["cron"] = "cron"
    id: str = Field("cron", pattern=TRIGGER_ID_PATTERN)
    expression: str = Field(
        description="5-field cron (minute hour day-of-month month day-of-week) or a macro "
        "such as @daily; day names and month names are allowed."
    )
    timezone: str = Field(
        "UTC",
        description="IANA time zone the expression is read in, e.g. Europe/Berlin; "
        "daylight saving changes are handled as cronie does.",
    )
    inputs: dict[str, Any] = Field(
        default_factory=dict, description="Run inputs of every run this trigger starts."
    )
    overlap: Literal["skip", "allow"] = Field(
        "skip",
        description="skip: a fire is skipped while this trigger's previous run is still "
        "going; allow: every fire starts a run.",
    )
    enabled: bool = Field(True, description="False keeps the schedule but pauses it.")

    @field_validator("expression")
    @classmethod
    def _valid_expression(cls, value: str) -> str:
        from orcheo_core.triggers.cron import CronExpression

        try:
            CronExpression.parse(value)
        except ConfigError as exc:
            raise PydanticCustomError("invalid_cron", exc.message) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        from orcheo_core.triggers.cron import resolve_timezone

        try:
            resolve_timezone(value)
        except ConfigError as exc:
            raise PydanticCustomError("invalid_timezone", exc.message) from None
        return value


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

    def trigger_channels(self) -> frozenset[str]:
        """State keys the triggers fill: each webhook's ``input_key``, each cron's inputs.

        The graph must accept them as inputs (declare them as channels) for the
        triggers' runs to start.
        """
        keys: set[str] = set()
        for trigger in self.triggers:
            if isinstance(trigger, WebhookTrigger):
                keys.add(trigger.input_key)
            elif isinstance(trigger, CronTrigger):
                keys.update(trigger.inputs)
        return frozenset(keys)

    def node(self, node_id: str) -> NodeSpec:
        """The node with this id (KeyError if there is none)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)
