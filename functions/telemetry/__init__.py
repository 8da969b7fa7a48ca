"""The telemetry Lambda: run events from the run-events stream to WebSocket subscribers."""
