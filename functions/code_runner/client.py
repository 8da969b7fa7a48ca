"""The caller's side of the code-runner Lambda: a job in, its last message out."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["invoker"]


def invoker(arn: str, region: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function sending one sandbox job to the code runner ``arn`` (synchronously)."""
    client: list[Any] = []
    lock = threading.Lock()

    def invoke(job: dict[str, Any]) -> dict[str, Any]:
        with lock:
            if not client:
                import boto3

                client.append(boto3.client("lambda", region_name=region))
        answer = client[0].invoke(FunctionName=arn, Payload=json.dumps(job).encode())
        body = answer["Payload"].read()
        if answer.get("FunctionError"):
            detail = json.loads(body or b"{}") if body else {}
            failure = (
                f"the code runner failed: {detail.get('errorType')}: {detail.get('errorMessage')}"
            )
            return {"type": "error", "error": {"code": "script_crashed", "message": failure[:2000]}}
        message: dict[str, Any] = json.loads(body)
        return message

    return invoke
