"""The DynamoDB implementation of the TriggerState port: locks, cursors, counters, nonces.

Each operation is one conditional write (a counter whose window ran out takes two), so
it is safe across Lambdas. An item whose ``expires_at`` is not after ``clock()``
counts as absent; DynamoDB's TTL (the ``ttl`` attribute) deletes it some time later.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from functions.backends.aws._dynamo import condition_failed, to_ttl
from functions.backends.aws.models import TriggerStateItem

if TYPE_CHECKING:
    from collections.abc import Callable

    from pynamodb.expressions.condition import Condition

__all__ = ["DynamoTriggerState"]

# TTL deletion lags (typically within days), and reads never trust it; this slack only
# keeps an item a moment past its exact expiry so the comparison decides, not the sweep.
_TTL_SLACK = 60.0
# A counter restarting its window races other increments; bounded retries from scratch.
_RETRIES = 16


def _check_ttl(ttl: float) -> None:
    if not ttl > 0:
        raise ValueError(f"ttl must be a positive number of seconds, not {ttl!r}")


def _expired(now: float) -> Condition:
    """The item is absent or its expiry has passed (so it may be taken over)."""
    condition: Condition = TriggerStateItem.key.does_not_exist() | (
        TriggerStateItem.expires_at <= now
    )
    return condition


class DynamoTriggerState:
    """Trigger state in one DynamoDB table; ``clock`` says what time it is."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def acquire_lock(self, key: str, owner: str, ttl: float) -> bool:
        """Take the lock for ``ttl`` seconds; False while another owner holds it.

        The same owner may re-acquire (the lease then runs ``ttl`` from now); an
        expired lock is free.
        """
        _check_ttl(ttl)
        now = self._clock()
        item = TriggerStateItem(
            key=f"lock#{key}",
            owner=owner,
            expires_at=now + ttl,
            ttl=to_ttl(now + ttl + _TTL_SLACK),
        )
        try:
            item.save(condition=_expired(now) | (TriggerStateItem.owner == owner))
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def release_lock(self, key: str, owner: str) -> bool:
        """Release if held (not expired) by ``owner``; False otherwise."""
        now = self._clock()
        try:
            TriggerStateItem(key=f"lock#{key}").delete(
                condition=(TriggerStateItem.owner == owner) & (TriggerStateItem.expires_at > now)
            )
        except DeleteError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def get_cursor(self, key: str) -> str | None:
        """The cursor stored under ``key``, or None. Cursors never expire."""
        try:
            item = TriggerStateItem.get(f"cursor#{key}", consistent_read=True)
        except TriggerStateItem.DoesNotExist:
            return None
        return item.value

    def set_cursor(self, key: str, value: str) -> None:
        """Store (or overwrite) the cursor under ``key``."""
        TriggerStateItem(key=f"cursor#{key}", value=value).save()

    def increment(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add to a counter and return the new value; ``ttl`` starts a window on creation.

        When the window has expired the counter starts again from zero (with a new
        window of ``ttl``). Without ``ttl`` the counter lasts forever.
        """
        if ttl is not None:
            _check_ttl(ttl)
        item_key = f"counter#{key}"
        for _ in range(_RETRIES):
            now = self._clock()
            live = TriggerStateItem.key.exists() & (
                TriggerStateItem.expires_at.does_not_exist() | (TriggerStateItem.expires_at > now)
            )
            item = TriggerStateItem(key=item_key)
            try:
                item.update(actions=[TriggerStateItem.tally.add(amount)], condition=live)
                return int(item.tally or 0)
            except UpdateError as exc:
                if not condition_failed(exc):
                    raise
            fresh = TriggerStateItem(
                key=item_key,
                tally=amount,
                expires_at=None if ttl is None else now + ttl,
                ttl=None if ttl is None else to_ttl(now + ttl + _TTL_SLACK),
            )
            try:
                fresh.save(condition=_expired(now))
                return amount
            except PutError as exc:
                if not condition_failed(exc):
                    raise
            # Someone else started the window in between: count in theirs.
        raise RuntimeError(f"counter {key!r} kept changing under contention; retry")

    def add_nonce(self, key: str, ttl: float) -> bool:
        """Remember ``key`` for ``ttl`` seconds; False if it was already remembered (replay)."""
        _check_ttl(ttl)
        now = self._clock()
        item = TriggerStateItem(
            key=f"nonce#{key}", expires_at=now + ttl, ttl=to_ttl(now + ttl + _TTL_SLACK)
        )
        try:
            item.save(condition=_expired(now))
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise
        return True
