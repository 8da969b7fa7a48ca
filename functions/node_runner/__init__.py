"""The node-runner Lambda: one Task of a workflow's state machine per invocation."""
