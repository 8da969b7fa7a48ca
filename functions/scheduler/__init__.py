"""The scheduler Lambda: the target every EventBridge Scheduler schedule invokes."""
