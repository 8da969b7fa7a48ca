"""One synth of the stack per test run, shared by the infra tests (and xdist workers)."""

from __future__ import annotations

import os

import pytest

from tests.infra.stack_synth import Synth, shared_synth


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's basetemp sits in one directory per run: share that.
    return shared_synth(base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)
