"""StateGraph -> Amazon States Language: the cloud engine's compiler (pure, no AWS calls).

Example::

    from orcheo_core.compile import CompileOptions, compile_state_machine

    machine = compile_state_machine(spec, CompileOptions(node_runner_arn=arn))
    machine.definition  # the ASL document; machine.type is "STANDARD" or "EXPRESS"

The payload every Task sends the node-runner Lambda is described in docs/compiler.md.
"""

from orcheo_core.compile.analysis import route_of
from orcheo_core.compile.asl import (
    DEFAULT_STATE_REF_THRESHOLD,
    DIVERGED_ERROR,
    RETRYABLE_ERROR,
    CompileOptions,
    StateMachineDefinition,
    compile_state_machine,
)
from orcheo_core.compile.cost import TransitionCount, count_transitions
from orcheo_core.compile.errors import CompileError, InvalidStateMachineError
from orcheo_core.compile.validate import find_problems, validate_definition

__all__ = [
    "DEFAULT_STATE_REF_THRESHOLD",
    "DIVERGED_ERROR",
    "RETRYABLE_ERROR",
    "CompileError",
    "CompileOptions",
    "InvalidStateMachineError",
    "StateMachineDefinition",
    "TransitionCount",
    "compile_state_machine",
    "count_transitions",
    "find_problems",
    "route_of",
    "validate_definition",
]
