"""The TriggerState port: locks, cursors, counters and nonces, with expiry by the clock.

An item set to last ``ttl`` seconds is there until ``ttl`` seconds have passed, and
gone from then on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from functions.backends.ports import TriggerState

from .conftest import Clock

# ---------------------------------------------------------------------------- locks


def test_a_free_lock_is_taken_and_then_refused_to_others(
    trigger_state: TriggerState,
) -> None:
    assert trigger_state.acquire_lock("cron:wf1", "worker-a", ttl=60)
    assert not trigger_state.acquire_lock("cron:wf1", "worker-b", ttl=60)


def test_locks_are_independent_by_key(trigger_state: TriggerState) -> None:
    assert trigger_state.acquire_lock("cron:wf1", "worker-a", ttl=60)
    assert trigger_state.acquire_lock("cron:wf2", "worker-b", ttl=60)


def test_an_expired_lock_is_free(trigger_state: TriggerState, clock: Clock) -> None:
    assert trigger_state.acquire_lock("k", "a", ttl=60)
    clock.advance(59.9)
    assert not trigger_state.acquire_lock("k", "b", ttl=60)
    clock.advance(0.1)
    assert trigger_state.acquire_lock("k", "b", ttl=60)
    assert not trigger_state.acquire_lock("k", "a", ttl=60)


def test_the_owner_re_acquiring_extends_the_lease(
    trigger_state: TriggerState, clock: Clock
) -> None:
    assert trigger_state.acquire_lock("k", "a", ttl=60)
    clock.advance(50)
    assert trigger_state.acquire_lock("k", "a", ttl=60)
    clock.advance(50)  # 100 s after the first take, 50 s into the renewed lease
    assert not trigger_state.acquire_lock("k", "b", ttl=60)
    clock.advance(10)
    assert trigger_state.acquire_lock("k", "b", ttl=60)


def test_only_the_owner_releases(trigger_state: TriggerState) -> None:
    assert trigger_state.acquire_lock("k", "a", ttl=60)
    assert not trigger_state.release_lock("k", "b")
    assert not trigger_state.acquire_lock("k", "b", ttl=60)
    assert trigger_state.release_lock("k", "a")
    assert trigger_state.acquire_lock("k", "b", ttl=60)


def test_releasing_what_is_not_held_is_false(trigger_state: TriggerState, clock: Clock) -> None:
    assert not trigger_state.release_lock("never", "a")
    assert trigger_state.acquire_lock("k", "a", ttl=10)
    assert trigger_state.release_lock("k", "a")
    assert not trigger_state.release_lock("k", "a")
    assert trigger_state.acquire_lock("k", "a", ttl=10)
    clock.advance(10)
    assert not trigger_state.release_lock("k", "a")  # expired: no longer held


# ---------------------------------------------------------------------------- cursors


def test_cursors_are_stored_and_overwritten(trigger_state: TriggerState, clock: Clock) -> None:
    assert trigger_state.get_cursor("poll:wf1") is None
    trigger_state.set_cursor("poll:wf1", "etag-1")
    assert trigger_state.get_cursor("poll:wf1") == "etag-1"
    trigger_state.set_cursor("poll:wf1", "etag-2")
    assert trigger_state.get_cursor("poll:wf1") == "etag-2"
    assert trigger_state.get_cursor("poll:wf2") is None
    clock.advance(365 * 24 * 3600)
    assert trigger_state.get_cursor("poll:wf1") == "etag-2"


def test_a_cursor_can_be_empty_or_long(trigger_state: TriggerState) -> None:
    trigger_state.set_cursor("a", "")
    trigger_state.set_cursor("b", "x" * 10_000)
    assert trigger_state.get_cursor("a") == ""
    assert trigger_state.get_cursor("b") == "x" * 10_000


# ---------------------------------------------------------------------------- counters


def test_counters_count_from_zero(trigger_state: TriggerState) -> None:
    assert trigger_state.increment("hits") == 1
    assert trigger_state.increment("hits") == 2
    assert trigger_state.increment("hits", 5) == 7
    assert trigger_state.increment("other") == 1


def test_a_counter_without_ttl_lasts(trigger_state: TriggerState, clock: Clock) -> None:
    trigger_state.increment("hits", 3)
    clock.advance(10 * 365 * 24 * 3600)
    assert trigger_state.increment("hits") == 4


def test_a_windowed_counter_restarts_after_its_window(
    trigger_state: TriggerState, clock: Clock
) -> None:
    assert trigger_state.increment("rate:hook", ttl=60) == 1
    clock.advance(30)
    # Later increments do not move the window: it started with the first one.
    assert trigger_state.increment("rate:hook", ttl=60) == 2
    clock.advance(29.5)
    assert trigger_state.increment("rate:hook", ttl=60) == 3
    clock.advance(0.5)
    assert trigger_state.increment("rate:hook", ttl=60) == 1
    clock.advance(59)
    assert trigger_state.increment("rate:hook", 2, ttl=60) == 3
    clock.advance(1)
    assert trigger_state.increment("rate:hook", 2, ttl=60) == 2


# ---------------------------------------------------------------------------- nonces


def test_a_nonce_is_new_once_then_a_replay(trigger_state: TriggerState) -> None:
    assert trigger_state.add_nonce("sig:abc", ttl=300)
    assert not trigger_state.add_nonce("sig:abc", ttl=300)
    assert trigger_state.add_nonce("sig:def", ttl=300)


def test_a_nonce_is_forgotten_after_its_ttl(trigger_state: TriggerState, clock: Clock) -> None:
    assert trigger_state.add_nonce("n", ttl=300)
    clock.advance(299)
    assert not trigger_state.add_nonce("n", ttl=300)
    clock.advance(1)
    assert trigger_state.add_nonce("n", ttl=300)
    # Replaying it re-remembered it for a new ttl, counted from now.
    clock.advance(299)
    assert not trigger_state.add_nonce("n", ttl=300)


def test_a_failed_replay_does_not_extend_the_nonce(
    trigger_state: TriggerState, clock: Clock
) -> None:
    assert trigger_state.add_nonce("n", ttl=100)
    clock.advance(90)
    assert not trigger_state.add_nonce("n", ttl=100)
    clock.advance(10)
    assert trigger_state.add_nonce("n", ttl=100)


# ---------------------------------------------------------------------------- kinds


def test_each_kind_of_state_has_its_own_keys(trigger_state: TriggerState) -> None:
    assert trigger_state.acquire_lock("same", "a", ttl=60)
    trigger_state.set_cursor("same", "c")
    assert trigger_state.increment("same") == 1
    assert trigger_state.add_nonce("same", ttl=60)
    assert trigger_state.get_cursor("same") == "c"


@pytest.mark.parametrize("ttl", [0, -1])
def test_a_ttl_must_be_positive(trigger_state: TriggerState, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        trigger_state.acquire_lock("k", "a", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        trigger_state.add_nonce("n", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        trigger_state.increment("c", ttl=ttl)


# ---------------------------------------------------------------------------- races


def race(contenders: int, attempt: Callable[[int], Any]) -> list[Any]:
    """Run ``attempt(i)`` on ``contenders`` threads released at once; their results."""
    barrier = threading.Barrier(contenders)
    results: list[Any] = [None] * contenders

    def go(i: int) -> None:
        barrier.wait()
        results[i] = attempt(i)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_of_racing_lockers_exactly_one_wins(trigger_state: TriggerState) -> None:
    results = race(8, lambda i: trigger_state.acquire_lock("k", f"worker-{i}", ttl=60))
    assert results.count(True) == 1 and results.count(False) == 7


def test_of_racing_nonce_adds_exactly_one_is_new(trigger_state: TriggerState) -> None:
    results = race(8, lambda i: trigger_state.add_nonce("n", ttl=60))
    assert results.count(True) == 1 and results.count(False) == 7


def test_racing_increments_are_all_counted(trigger_state: TriggerState) -> None:
    def bump(i: int) -> list[int]:
        return [trigger_state.increment("c", ttl=3600) for _ in range(25)]

    seen = [value for values in race(8, bump) for value in values]
    assert sorted(seen) == list(range(1, 201))
