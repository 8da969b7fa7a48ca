"""The overlap guard: a cron fire is skipped while the trigger's previous run is going."""

from __future__ import annotations

import doctest

import pytest

from orcheo_core.errors import ConfigError
from orcheo_core.triggers import overlap, should_fire


@pytest.mark.parametrize("status", ["queued", "running", "some-future-status"])
def test_skip_while_the_previous_run_is_not_finished(status: str) -> None:
    assert should_fire("skip", status) is False
    assert should_fire("allow", status) is True


@pytest.mark.parametrize("status", [None, "succeeded", "failed", "cancelled", "interrupted"])
def test_fire_once_the_previous_run_has_ended_or_there_is_none(status: str | None) -> None:
    assert should_fire("skip", status) is True
    assert should_fire("allow", status) is True


def test_unknown_policy_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="unknown overlap policy 'never'; use one of skip, allow"):
        should_fire("never", None)


def test_module_examples_run() -> None:
    result = doctest.testmod(overlap)
    assert result.attempted >= 2 and result.failed == 0
