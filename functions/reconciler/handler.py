"""The reconciler Lambda: an EventBridge rule sends it every Orcheo execution's end.

The event is Step Functions' "Step Functions Execution Status Change"
(``tests/events/sfn_execution_status_change_*.json``); its ``detail`` goes to
:meth:`functions.backends.aws.engine.StepFunctionsEngine.finalise`, the same outcome
mapping a waited run goes through, so a run nobody waits for (a cron fire, a batch, a
webhook that answers at once) ends with its status, final state or error, its last
event and its WebSocket push. Recording is conditional on the run still running, so an
EventBridge retry, or a waiter that recorded it first, changes nothing.
"""

from __future__ import annotations

from typing import Any

from functions.lambda_kit import observability

__all__ = ["handler"]

obs = observability("orcheo-reconciler")


@obs.logger.inject_lambda_context(correlation_id_path="detail.name")
@obs.traced
@obs.metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.aws import current
    from functions.backends.aws.engine import StepFunctionsEngine

    engine = current().services.engine
    assert isinstance(engine, StepFunctionsEngine)  # the AWS stack's engine, always
    run = engine.finalise(event.get("detail") or {})
    if run is None:
        obs.count("ExecutionsIgnored")
        return {"run_id": None}
    obs.count("RunsReconciled")
    return {"run_id": run.id, "status": run.status}
