"""The node SDK: a Node is a pydantic config model, metadata and one async ``run``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import builtins
    import logging

__all__ = [
    "Node",
    "NodeConfig",
    "NodeContext",
    "State",
    "Update",
]

State = Mapping[str, Any]
"""What a node reads: the workflow state (channel name -> value)."""

Update = dict[str, Any]
"""What a node returns: channel name -> value, combined into the state by each channel's reducer."""


class NodeConfig(BaseModel):
    """Base for node config models: unknown keys are errors, so typos are caught."""

    model_config = ConfigDict(extra="forbid")


ConfigT = TypeVar("ConfigT", bound=BaseModel)


@runtime_checkable
class NodeContext(Protocol):
    """What a node may use from the engine that runs it.

    Each engine (local, AWS) implements it; nodes never import an engine.
    """

    @property
    def run_id(self) -> str: ...

    @property
    def node_id(self) -> str: ...

    @property
    def attempt(self) -> int: ...

    @property
    def logger(self) -> logging.Logger | logging.LoggerAdapter[Any]: ...

    async def get_credential(self, slot: str) -> Mapping[str, str]:
        """The secret fields of the credential bound to ``slot`` on this node."""
        ...

    def emit(self, event_type: str, data: Mapping[str, Any]) -> None:
        """Add an event to the run's event stream (e.g. a debug snapshot)."""
        ...

    def report_usage(self, *, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        """Record token usage; it shows on the node's finished event."""
        ...

    def is_cancelled(self) -> bool:
        """True once the run has been asked to stop; long nodes should check it."""
        ...

    async def run_subworkflow(self, ref: Any, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Run another workflow to completion and return its final state."""
        ...


class Node(Generic[ConfigT]):
    """Base class of every node.

    Subclasses set the metadata class attributes, ``config_model`` and ``run``::

        class Shout(Node[ShoutConfig]):
            type = "shout"
            display_name = "Shout"
            category = "transform"
            config_model = ShoutConfig

            async def run(self, state, ctx):
                return {self.config.output: str(state[self.config.key]).upper()}

    String values in the config may be templates (``"{{ state.name }}"``), rendered
    against the state before each call, except the fields named in ``raw_fields``.
    """

    type: ClassVar[str]
    display_name: ClassVar[str]
    category: ClassVar[str] = "general"
    icon: ClassVar[str] = "box"
    description: ClassVar[str] = ""
    credential_types: ClassVar[tuple[str, ...]] = ()
    output_description: ClassVar[str] = ""
    config_model: ClassVar[builtins.type[BaseModel]]
    raw_fields: ClassVar[frozenset[str]] = frozenset()
    is_router: ClassVar[bool] = False

    def __init__(self, config: ConfigT) -> None:
        self.config = config

    async def run(self, state: State, ctx: NodeContext) -> Update:
        """Do the node's work and return the state update."""
        raise NotImplementedError

    def route(self, state: State) -> str:
        """For routing nodes: the route label to follow, given the state after ``run``."""
        raise NotImplementedError(f"node type {self.type!r} does not route")

    @classmethod
    def route_labels(cls, config: ConfigT) -> list[str] | None:
        """The labels ``route`` can return (one canvas handle each); None if not a router."""
        return None

    @classmethod
    def writes(cls, config: ConfigT) -> set[str]:
        """State channels this node writes, so the builder can declare them."""
        return set()

    @classmethod
    def metadata(cls) -> dict[str, Any]:
        """Palette metadata for the canvas."""
        return {
            "type": cls.type,
            "display_name": cls.display_name,
            "category": cls.category,
            "icon": cls.icon,
            "description": cls.description,
            "credential_types": list(cls.credential_types),
            "output_description": cls.output_description,
            "is_router": cls.is_router,
        }
