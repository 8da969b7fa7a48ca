"""The telemetry Lambda: the run-events table's stream (event source mapping) invokes it.

Every event inserted in the batch is posted to the WebSocket connections subscribed to
its run or workflow (``TelemetryPusher.handle_stream``); a connection that is gone is
forgotten. Records arrive in seq order per run (one shard per partition key), so each
subscriber sees a run's events in order. Delivery is at least once (a failed batch is
retried by the mapping): events carry ``seq``, and clients drop what they have seen.
"""

from __future__ import annotations

from typing import Any

from functions.lambda_kit import observability

__all__ = ["handler"]

obs = observability("orcheo-telemetry")


@obs.logger.inject_lambda_context
@obs.traced
@obs.metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.aws import current

    records = event.get("Records") or []
    posts = current().pusher.handle_stream(records)
    obs.count("StreamRecords", len(records))
    obs.count("WebSocketPosts", posts)
    return {"records": len(records), "posts": posts}
