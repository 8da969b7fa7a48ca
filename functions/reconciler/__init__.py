"""The reconciler Lambda: finalises a run when its Step Functions execution ends."""
