"""Errors of the state machine compiler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orcheo_core.errors import OrcheoError

if TYPE_CHECKING:
    from orcheo_core.errors import Problem

__all__ = ["CompileError", "InvalidStateMachineError"]


class CompileError(OrcheoError):
    """A workflow cannot be turned into a state machine with the options given."""

    code = "compile_error"


class InvalidStateMachineError(OrcheoError):
    """A generated (or hand-written) state machine definition breaks the ASL rules we check."""

    code = "invalid_state_machine"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(
            f"state machine definition has {len(problems)} {noun}:\n{lines}",
            problems=[p.to_dict() for p in problems],
        )
