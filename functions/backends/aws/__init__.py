"""The AWS implementations of the ports: DynamoDB stores (pynamodb), the KMS vault,
EventBridge Scheduler, the run-events stream bus and the Step Functions engine.

Only this package imports boto3 and pynamodb. Call :func:`bind` with the deployment's
:class:`~functions.settings.AwsSettings` before using a store. docs/aws-backend.md
describes the tables, indexes and the choices behind them.

The stores load with this package; the scheduler, bus, vault and engine are imported
from their modules (``functions.backends.aws.scheduler``, ...) by the Lambdas that use
them, so a handler loads only what it needs.
"""

from __future__ import annotations

from functions.backends.aws.credentials import DynamoCredentialStore
from functions.backends.aws.models import bind, table_definitions
from functions.backends.aws.runs import DynamoRunStore
from functions.backends.aws.tokens import DynamoTokenStore
from functions.backends.aws.trigger_state import DynamoTriggerState
from functions.backends.aws.workflows import DynamoWorkflowStore

__all__ = [
    "DynamoCredentialStore",
    "DynamoRunStore",
    "DynamoTokenStore",
    "DynamoTriggerState",
    "DynamoWorkflowStore",
    "bind",
    "table_definitions",
]
