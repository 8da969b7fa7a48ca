"""StateGraph -> Amazon States Language (JSONPath), as a pure function.

The runtime contract (what each Task sends the node-runner Lambda and what it must
return) is written down in ``docs/compiler.md``; the names of its fields live here as
constants so the node runner can import them instead of repeating them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from orcheo_core.compile.analysis import (
    END_FRONTIER,
    Frontier,
    GraphModel,
    NodeInfo,
    Plan,
    external_nodes,
    model_of,
    plan,
    retry_interval,
)
from orcheo_core.compile.errors import CompileError
from orcheo_core.compile.validate import FORBIDDEN_NAME_CHARS, MAX_NAME, validate_definition
from orcheo_core.spec.models import WebhookTrigger

if TYPE_CHECKING:
    from collections.abc import Mapping

    from orcheo_core.graph.builder import CompiledWorkflow
    from orcheo_core.nodes.registry import NodeRegistry

__all__ = [
    "DEFAULT_STATE_REF_THRESHOLD",
    "DIVERGED_ERROR",
    "RETRYABLE_ERROR",
    "CompileOptions",
    "StateMachineDefinition",
    "compile_state_machine",
]

DEFAULT_STATE_REF_THRESHOLD = 200_000
"""Bytes of encoded state above which it travels as ``{"$ref": ...}`` (Step Functions: 256 KB)."""

RETRYABLE_ERROR = "Orcheo.Retryable"
"""Error name the node runner fails with when the node's retry policy allows another attempt."""

DIVERGED_ERROR = "Orcheo.Diverged"
"""Error name for "the node asked for is not what is due": the run continues in the loop."""

RUN_FAILED_ERROR = "Orcheo.RunFailed"

NODE_RUNNER_PLACEHOLDER = "${NodeRunnerFunctionArn}"

LAMBDA_TRANSIENT = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]

SFN_SYNC = "arn:aws:states:::states:startExecution.sync:2"

RECORD_FAILURE = "orcheo.record_failure"
FAILED = "orcheo.failed"
START_STATE = "orcheo.start"
LOOP = "orcheo.superstep"
LOOP_MAP = "orcheo.superstep.map"
LOOP_TASK = "orcheo.superstep.task"
LOOP_APPLY = "orcheo.superstep.apply"
DONE = "orcheo.done"

WorkflowType = Literal["STANDARD", "EXPRESS"]
EXPRESS_MAX_SECONDS = 300


@dataclass(frozen=True)
class CompileOptions:
    """Everything a definition depends on besides the graph: no AWS call reads these."""

    node_runner_arn: str = NODE_RUNNER_PLACEHOLDER
    """The node-runner Lambda (a CDK token or placeholder is fine: the text is copied)."""
    state_ref_threshold: int = DEFAULT_STATE_REF_THRESHOLD
    workflow_type: Literal["AUTO", "STANDARD", "EXPRESS"] = "AUTO"
    """AUTO: EXPRESS when a webhook waits for the result and nothing waits long, else STANDARD."""
    subworkflow_arns: Mapping[str, str] = field(default_factory=dict)
    """Workflow id -> state machine ARN; a sub_workflow node naming one runs as a nested
    execution, any other runs inside its node's Lambda."""


@dataclass(frozen=True)
class StateMachineDefinition:
    """A generated state machine: the ASL document and what was decided on the way."""

    definition: dict[str, Any]
    type: WorkflowType
    state_names: dict[str, str]
    """Graph node -> the state that runs it when it is due alone."""
    structured: bool
    """True when the supersteps map onto states; False when the generic loop runs it all."""

    def to_json(self) -> str:
        import json

        return json.dumps(self.definition, indent=2, sort_keys=False, ensure_ascii=False)


def _legal(name: str) -> bool:
    return len(name) <= MAX_NAME and not any(
        ch in FORBIDDEN_NAME_CHARS or ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in name
    )


class _Names:
    def __init__(self, reserved: set[str]) -> None:
        self.used = set(reserved)

    def take(self, wanted: str) -> str:
        base = "".join(
            "_" if ch in FORBIDDEN_NAME_CHARS or not ch.isprintable() else ch for ch in wanted
        )
        if not _legal(base) or base != wanted or base in self.used:
            digest = hashlib.sha256(wanted.encode()).hexdigest()[:6]
            candidate = base if _legal(base) and base not in self.used else None
            n = 2
            while candidate is None or candidate in self.used:
                suffix = f".{digest}" if n == 2 else f".{digest}{n}"
                candidate = base[: MAX_NAME - len(suffix)] + suffix
                n += 1
            base = candidate
        self.used.add(base)
        return base


class _Builder:
    def __init__(
        self,
        workflow: CompiledWorkflow,
        model: GraphModel,
        steps: Plan | None,
        options: CompileOptions,
    ) -> None:
        self.workflow = workflow
        self.model = model
        self.plan = steps
        self.options = options
        self.external = external_nodes(model, dict(options.subworkflow_arns))
        reserved = {RECORD_FAILURE, FAILED, START_STATE, LOOP, LOOP_MAP, LOOP_TASK}
        reserved |= {LOOP_APPLY, DONE}
        clash = sorted(reserved & set(model.nodes))
        if clash:
            raise CompileError(
                f"node names {', '.join(map(repr, clash))} are reserved for the state "
                "machine's own states; rename the nodes"
            )
        self.names = _Names(reserved)
        self.node_names: dict[str, str] = {}
        self.states: dict[str, Any] = {}
        self.frontier_state: dict[Frontier, str] = {}
        self.needs_loop = steps is None or model.script
        self.has_nested = False
        self.wait_seconds = 0.0

    # -- pieces ------------------------------------------------------------------------

    def _node_name(self, node: str) -> str:
        if node not in self.node_names:
            self.node_names[node] = self.names.take(node)
            return self.node_names[node]
        return self.names.take(f"{node}.2")

    def _params(self, action: str, node: str | None = None, **extra: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"action": action}
        if node is not None:
            params["node"] = node
        params.update(extra)
        params["state_ref_threshold"] = self.options.state_ref_threshold
        params["payload.$"] = "$"
        return params

    def _catch(self) -> list[dict[str, Any]]:
        catchers = []
        if self.needs_loop and self.plan is not None:
            catchers.append(
                {"ErrorEquals": [DIVERGED_ERROR], "ResultPath": "$.diverged", "Next": LOOP}
            )
        catchers.append(
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": RECORD_FAILURE}
        )
        return catchers

    def _retry(self, info: NodeInfo | None) -> list[dict[str, Any]]:
        retries: list[dict[str, Any]] = [
            {
                "ErrorEquals": list(LAMBDA_TRANSIENT),
                "IntervalSeconds": 1,
                "MaxAttempts": 3,
                "BackoffRate": 2.0,
            }
        ]
        policy = info.retry if info else None
        if policy is not None and policy.max_attempts > 1:
            rule: dict[str, Any] = {
                "ErrorEquals": [RETRYABLE_ERROR],
                "IntervalSeconds": retry_interval(policy.initial_interval),
                "MaxAttempts": policy.max_attempts - 1,
                "BackoffRate": float(policy.backoff_factor),
                "MaxDelaySeconds": retry_interval(policy.max_interval),
                "JitterStrategy": "FULL" if policy.jitter else "NONE",
            }
            retries.append(rule)
        return retries

    def _lambda_task(
        self, params: dict[str, Any], info: NodeInfo | None = None, *, catch: bool = True
    ) -> dict[str, Any]:
        if info is not None and info.retry is not None and info.retry.max_attempts > 1:
            # Step Functions drives the retries: the runner reads the attempt from here.
            payload = params["payload.$"]
            params = {k: v for k, v in params.items() if k != "payload.$"}
            params["retry_count.$"] = "$$.State.RetryCount"
            params["payload.$"] = payload
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": self.options.node_runner_arn,
            "Parameters": params,
            "Retry": self._retry(info),
        }
        if catch:
            state["Catch"] = self._catch()
        return state

    @staticmethod
    def _then(state: dict[str, Any], nxt: str | None) -> dict[str, Any]:
        if nxt is None:
            state["End"] = True
        else:
            state["Next"] = nxt
        return state

    # -- structured -------------------------------------------------------------------

    def _is_folding_task(self, frontier: Frontier) -> bool:
        """A state that applies pending results / completes an external node itself."""
        return (
            len(frontier.nodes) == 1 and not frontier.map and frontier.nodes[0] not in self.external
        )

    def _enter(self, frontier: Frontier, pending: bool, before: str) -> str | None:
        """The state to go to for ``frontier``; a join Task first if something is pending."""
        target = None if frontier == END_FRONTIER else self._frontier(frontier)
        if not pending or (target is not None and self._is_folding_task(frontier)):
            return target
        name = self.names.take(f"{before}.join")
        task = self._end_check(self._lambda_task(self._params("step")), target)
        self.states[name] = self._then(task, target)
        return name

    def _frontier(self, frontier: Frontier) -> str:
        if frontier in self.frontier_state:
            return self.frontier_state[frontier]
        if frontier.map:
            return self._map(frontier)
        if len(frontier.nodes) > 1:
            return self._parallel(frontier)
        return self._single(frontier.nodes[0], frontier)

    def _successor(self, frontier: Frontier, name: str, pending: bool) -> str | None:
        assert self.plan is not None
        nexts = self.plan.after[frontier]
        if not nexts:
            # A route no edge declares (a plain router function): the loop follows it.
            assert self.needs_loop, "only scripts have undeclared routes"
            return LOOP
        if frontier not in self.plan.routed:
            return self._enter(nexts[0], pending, name)
        choice = self.names.take(f"{name}.route")
        self.states[choice] = {}  # placeholder keeps the order readable
        rules = []
        for alt in nexts:
            target = self._enter(alt, False, name)
            rules.append({"Variable": "$.route", "StringEquals": alt.route, "Next": target or DONE})
            if target is None:
                self._done()
        default = LOOP if self.needs_loop else RECORD_FAILURE
        self.states[choice] = {"Type": "Choice", "Choices": rules, "Default": default}
        return choice

    def _done(self) -> None:
        self.states.setdefault(DONE, {"Type": "Succeed"})

    def _single(self, node: str, frontier: Frontier) -> str:
        info = self.model.nodes[node]
        name = self._node_name(node)
        self.frontier_state[frontier] = name
        if node in self.external and info.kind == "delay":
            assert info.delay_seconds is not None
            self.wait_seconds += info.delay_seconds
            self.states[name] = {"Type": "Wait", "Seconds": retry_interval(info.delay_seconds)}
            if info.delay_seconds == 0:
                self.states[name]["Seconds"] = 0
            self.states[name] = self._then(self.states[name], self._successor(frontier, name, True))
            return name
        if node in self.external:
            self.has_nested = True
            arn = self.options.subworkflow_arns[str(info.subworkflow)]
            run = self.names.take(f"{node}.run")
            self.states[name] = self._lambda_task(self._params("subworkflow_input", node), info)
            self.states[name]["Next"] = run
            self.states[run] = {
                "Type": "Task",
                "Resource": SFN_SYNC,
                "Parameters": {
                    "StateMachineArn": arn,
                    "Input": {
                        "run.$": "$.subworkflow.run",
                        "inputs.$": "$.subworkflow.inputs",
                        "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",
                    },
                },
                "ResultSelector": {"output.$": "$.Output"},
                "ResultPath": "$.subworkflow",
                "Catch": self._catch(),
            }
            self.states[run] = self._then(self.states[run], self._successor(frontier, name, True))
            return name
        self.states[name] = self._lambda_task(self._params("step", node), info)
        nxt = self._successor(frontier, name, False)
        self.states[name] = self._then(self._end_check(self.states[name], nxt), nxt)
        return name

    def _end_check(self, state: dict[str, Any], nxt: str | None) -> dict[str, Any]:
        """A script's Task that ends the run makes the runner check that nothing is due.

        A script node may return ``Command(goto=...)`` without an annotation or a static
        edge saying so (analysis.py spots the usual cases and routes them through the
        loop); should one slip through, the run fails with ``unplanned_route`` instead
        of succeeding with a partial state.
        """
        if nxt is None and self.model.script:
            params = state["Parameters"]
            payload = params.pop("payload.$")
            params["then_end"] = True
            params["payload.$"] = payload
        return state

    def _branch_task(self, node: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = self._node_name(node)
        task = self._lambda_task(params, self.model.nodes[node], catch=False)
        task["End"] = True
        return name, task

    def _parallel(self, frontier: Frontier) -> str:
        name = self.names.take("+".join(frontier.nodes))
        self.frontier_state[frontier] = name
        self.states[name] = {}
        branches = []
        for node in frontier.nodes:
            task_name, task = self._branch_task(node, self._params("run", node))
            branches.append({"StartAt": task_name, "States": {task_name: task}})
        state = {"Type": "Parallel", "Branches": branches, "ResultPath": "$.results"}
        state["Catch"] = self._catch()
        self.states[name] = self._then(state, self._successor(frontier, name, True))
        return name

    def _map(self, frontier: Frontier) -> str:
        node = frontier.nodes[0]
        name = self.names.take(f"{node}.each")
        self.frontier_state[frontier] = name
        self.states[name] = {}
        params = self._params("run", node, **{"task.$": "$.task"})
        params["payload.$"] = "$.payload"
        task_name, task = self._branch_task(node, params)
        state = {
            "Type": "Map",
            "ItemsPath": "$.tasks",
            "ItemSelector": {"task.$": "$$.Map.Item.Value", "payload.$": "$"},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": task_name,
                "States": {task_name: task},
            },
            "ResultPath": "$.results",
            "Catch": self._catch(),
        }
        self.states[name] = self._then(state, self._successor(frontier, name, True))
        return name

    # -- loop and failure ---------------------------------------------------------------

    def _loop(self) -> None:
        self._done()
        self.states[LOOP] = {
            "Type": "Choice",
            "Choices": [{"Variable": "$.route", "StringEquals": END_FRONTIER.route, "Next": DONE}],
            "Default": LOOP_MAP,
        }
        task = self._lambda_task(
            {
                "action": "run",
                "task.$": "$.task",
                "state_ref_threshold": self.options.state_ref_threshold,
                "payload.$": "$.payload",
            },
            catch=False,
        )
        task["End"] = True
        self.states[LOOP_MAP] = {
            "Type": "Map",
            "ItemsPath": "$.tasks",
            "ItemSelector": {"task.$": "$$.Map.Item.Value", "payload.$": "$"},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": LOOP_TASK,
                "States": {LOOP_TASK: task},
            },
            "ResultPath": "$.results",
            "Next": LOOP_APPLY,
            "Catch": [self._catch()[-1]],
        }
        apply = self._lambda_task(self._params("step"), catch=False)
        apply["Catch"] = [self._catch()[-1]]
        apply["Next"] = LOOP
        self.states[LOOP_APPLY] = apply

    def _failure(self) -> None:
        task = self._lambda_task(self._params("fail"), catch=False)
        task["Next"] = FAILED
        self.states[RECORD_FAILURE] = task
        self.states[FAILED] = {"Type": "Fail", "Error": RUN_FAILED_ERROR, "CausePath": "$.cause"}

    def build(self) -> tuple[str, dict[str, Any]]:
        if self.plan is None:
            start = START_STATE
            self.states[START_STATE] = self._lambda_task(self._params("step"))
            self.states[START_STATE]["Next"] = LOOP
        elif self.plan.routed and Frontier(("__start__",)) in self.plan.routed:
            start = START_STATE
            self.states[START_STATE] = {}
            nxt = self._successor_start()
            self.states[START_STATE] = self._lambda_task(self._params("step"))
            self.states[START_STATE]["Next"] = nxt
        else:
            entry = self.plan.entry[0]
            if entry == END_FRONTIER:
                raise CompileError("the workflow has no node to run: add an edge from its start")
            first = self._frontier(entry)
            start = first
        if self.needs_loop:
            self._loop()
        self._failure()
        return start, self.states

    def _successor_start(self) -> str:
        assert self.plan is not None
        self.plan.after[Frontier(("__start__",))] = self.plan.entry
        # a routed start always leads to a Choice
        return str(self._successor(Frontier(("__start__",)), START_STATE, False))


def _workflow_type(workflow: CompiledWorkflow, builder: _Builder, requested: str) -> WorkflowType:
    if requested == "STANDARD":
        return "STANDARD"
    long_wait = builder.wait_seconds >= EXPRESS_MAX_SECONDS
    if requested == "EXPRESS":
        if builder.has_nested:
            raise CompileError(
                "an EXPRESS state machine cannot wait for a nested execution "
                "(states:startExecution.sync); compile it as STANDARD or drop the "
                "sub-workflow's state machine ARN so it runs inside its node"
            )
        if long_wait:
            raise CompileError(
                f"the workflow's delays add up to {builder.wait_seconds:g}s, more than an "
                "EXPRESS execution may last (5 minutes); compile it as STANDARD"
            )
        return "EXPRESS"
    spec = workflow.spec
    waits = spec is not None and any(
        isinstance(t, WebhookTrigger) and t.response.mode == "wait" for t in spec.triggers
    )
    return "EXPRESS" if waits and not builder.has_nested and not long_wait else "STANDARD"


def compile_state_machine(
    workflow: Any,
    options: CompileOptions | None = None,
    *,
    registry: NodeRegistry | None = None,
) -> StateMachineDefinition:
    """Compile a workflow (spec, StateGraph or CompiledWorkflow) to a Step Functions definition.

    Pure: it reads the graph and ``options`` and calls nothing on AWS. The result is
    checked by :func:`validate_definition` before it is returned.

    Example::

        sm = compile_state_machine(spec, CompileOptions(node_runner_arn=arn))
        sfn.create_state_machine(definition=json.dumps(sm.definition), type=sm.type, ...)
    """
    from orcheo_core.graph.builder import compile_workflow

    options = options or CompileOptions()
    if options.state_ref_threshold < 1 or options.state_ref_threshold > 250_000:
        raise CompileError(
            f"state_ref_threshold must be between 1 and 250000 bytes (Step Functions carries "
            f"at most 256 KB), got {options.state_ref_threshold}"
        )
    compiled = compile_workflow(workflow, registry)
    model = model_of(compiled)
    builder = _Builder(compiled, model, plan(model), options)
    start, states = builder.build()
    kind = _workflow_type(compiled, builder, options.workflow_type)
    mode = "superstep steps" if builder.plan is not None else "the generic superstep loop"
    definition: dict[str, Any] = {
        "Comment": f"Orcheo workflow {compiled.name!r}: {mode}",
        "QueryLanguage": "JSONPath",
        "StartAt": start,
        "States": states,
    }
    if compiled.run_timeout is not None:
        definition["TimeoutSeconds"] = retry_interval(compiled.run_timeout)
    validate_definition(definition)
    return StateMachineDefinition(
        definition, kind, dict(builder.node_names), structured=builder.plan is not None
    )
