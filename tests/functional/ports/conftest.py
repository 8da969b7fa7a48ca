"""Fixtures for the port conformance suites: every test runs against every implementation.

Each suite here (``test_workflow_store.py``, ``test_run_store.py``, ...) states how a
port must behave, without knowing which backend it talks to. The fixtures
``workflow_store``, ``run_store``, ``credential_store``, ``token_store`` and
``trigger_state`` are parametrised over :data:`IMPLEMENTATIONS`, so a test runs once
per implementation, with the implementation's name as its id (``test_x[sqlite]``).

How a new implementation joins (the AWS backends, say):

1. Write a factory: a context manager ``(tmp_path, clock) -> Stores`` that builds all
   five stores on fresh, empty storage and tears it down on exit (for AWS: enter
   ``mock_aws()``, create the tables, build the stores). Trigger state must read the
   time from ``clock`` so that expiry can be tested without sleeping.
2. Add it to :data:`IMPLEMENTATIONS` under a short name (``"dynamo"``).

Every suite then runs against it; nothing else changes. Behaviour that only one
backend has (SQLite's WAL mode, say) is tested beside it, not here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aws.moto_env import moto_tables

from functions.backends.aws import (
    DynamoCredentialStore,
    DynamoRunStore,
    DynamoTokenStore,
    DynamoTriggerState,
    DynamoWorkflowStore,
)
from functions.backends.local import (
    Database,
    SqliteCredentialStore,
    SqliteRunStore,
    SqliteTokenStore,
    SqliteTriggerState,
    SqliteWorkflowStore,
)
from functions.backends.ports import (
    CredentialStore,
    RunStore,
    TokenStore,
    TriggerState,
    WorkflowStore,
)

T0 = 1_700_000_000.0
"""The fake clock's start (Unix seconds): a realistic, fixed time."""


class Clock:
    """A clock the test moves by hand: call it for the time, ``advance`` to move it."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Stores:
    """All five stores of one implementation, sharing one fresh storage."""

    workflows: WorkflowStore
    runs: RunStore
    credentials: CredentialStore
    tokens: TokenStore
    trigger_state: TriggerState


Factory = Callable[[Path, Clock], contextlib.AbstractContextManager[Stores]]


@contextlib.contextmanager
def make_sqlite(tmp_path: Path, clock: Clock) -> Iterator[Stores]:
    """The local backend: one SQLite file in the test's temporary directory."""
    db = Database(tmp_path / "orcheo.db")
    try:
        yield Stores(
            workflows=SqliteWorkflowStore(db),
            runs=SqliteRunStore(db),
            credentials=SqliteCredentialStore(db),
            tokens=SqliteTokenStore(db),
            trigger_state=SqliteTriggerState(db, clock=clock),
        )
    finally:
        db.close()


@contextlib.contextmanager
def make_dynamo(tmp_path: Path, clock: Clock) -> Iterator[Stores]:
    """The AWS backend: DynamoDB tables in a fresh in-process moto (``mock_aws``)."""
    with moto_tables():
        yield Stores(
            workflows=DynamoWorkflowStore(),
            runs=DynamoRunStore(clock=clock),
            credentials=DynamoCredentialStore(),
            tokens=DynamoTokenStore(),
            trigger_state=DynamoTriggerState(clock=clock),
        )


IMPLEMENTATIONS: dict[str, Factory] = {"sqlite": make_sqlite, "dynamo": make_dynamo}
"""Every implementation of the storage ports, by name; add one here to test it."""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=sorted(IMPLEMENTATIONS), ids=sorted(IMPLEMENTATIONS))
def stores(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[Stores]:
    with IMPLEMENTATIONS[request.param](tmp_path, clock) as built:
        yield built


@pytest.fixture
def workflow_store(stores: Stores) -> WorkflowStore:
    return stores.workflows


@pytest.fixture
def run_store(stores: Stores) -> RunStore:
    return stores.runs


@pytest.fixture
def credential_store(stores: Stores) -> CredentialStore:
    return stores.credentials


@pytest.fixture
def token_store(stores: Stores) -> TokenStore:
    return stores.tokens


@pytest.fixture
def trigger_state(stores: Stores) -> TriggerState:
    return stores.trigger_state
