"""The DynamoDB implementation of the RunStore port: the runs and run-events tables."""

from __future__ import annotations

import heapq
import itertools
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError

from functions.backends.aws._codec import (
    decode_cursor,
    dumps,
    encode_cursor,
    loads_or_none,
    sort_key,
    time_key,
)
from functions.backends.aws._dynamo import condition_failed, from_ttl, to_ttl, transaction
from functions.backends.aws.models import EventItem, RunItem
from functions.backends.common import (
    check_run_changes,
    check_run_status,
    not_found,
    run_status_conflict,
)
from functions.backends.ports import EventRecord, Page, RunRecord
from functions.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
    from datetime import datetime

    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

    from functions.backends.ports import RunStatus

__all__ = ["DynamoRunStore"]

# TransactWriteItems takes at most 100 items: 99 events and the run. A longer batch is
# written in chunks of this size, each all-or-nothing (the engine appends a few at a time).
EVENTS_PER_TRANSACTION = 99
# Concurrent appends to one run race on its last_seq; the loser retries from a fresh read.
_RETRIES = 8

_JSON = ("inputs", "state", "error")
_NOT_NULL = ("workflow_id", "version", "status", "inputs", "debug", "trigger", "created_at")


def _run(item: RunItem) -> RunRecord:
    def number(value: float | None) -> int | None:
        return None if value is None else int(value)

    return RunRecord(
        id=item.id,
        workflow_id=item.workflow_id,
        version=int(item.version),
        status=item.status,  # type: ignore[arg-type]
        inputs=loads_or_none(item.inputs),
        state=loads_or_none(item.state),
        error=loads_or_none(item.error),
        debug=bool(item.debug),
        trigger=item.trigger,
        replay_of=item.replay_of,
        resumed_from_step=number(item.resumed_from_step),
        batch_id=item.batch_id,
        created_at=item.created_at,
        started_at=item.started_at,
        finished_at=item.finished_at,
        duration=item.duration,
        last_seq=int(item.last_seq),
    )


def _event(item: EventItem) -> EventRecord:
    return EventRecord(
        run_id=item.run_id,
        seq=int(item.seq),
        type=item.type,
        workflow_id=item.workflow_id,
        node=item.node,
        attempt=None if item.attempt is None else int(item.attempt),
        data=loads_or_none(item.data),
        ts=item.ts,
    )


class DynamoRunStore:
    """Runs (one item each) and their events (one partition per run) in DynamoDB.

    ``list_runs`` reads a GSI newest first: ``by_workflow`` when a workflow is given
    (status as a filter), ``by_status`` when statuses are (one query per status,
    merged), else ``by_created``. With ``retention`` (seconds) a run and its events get
    a TTL of ``created_at + retention``; DynamoDB deletes them some time after, and
    every read here treats an expired item as gone already. ``clock`` says what time it
    is (tests pass a controllable one).
    """

    def __init__(
        self, *, retention: float | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        if retention is not None and not retention > 0:
            raise ValueError(f"retention must be a positive number of seconds, not {retention!r}")
        self._retention = retention
        self._clock = clock

    # ------------------------------------------------------------------------ runs

    def _expiry(self, created_at: float) -> datetime | None:
        return None if self._retention is None else to_ttl(created_at + self._retention)

    def _live(self, expires_at: datetime | None) -> bool:
        expiry = from_ttl(expires_at)
        return expiry is None or expiry > self._clock()

    def create_run(self, run: RunRecord) -> None:
        """Store a new run; ConflictError if the id is taken (by a run not yet expired)."""
        check_run_status(run.status)
        r = run
        item = RunItem(
            id=r.id,
            workflow_id=r.workflow_id,
            version=r.version,
            status=r.status,
            inputs=dumps(r.inputs),
            state=None if r.state is None else dumps(r.state),
            error=None if r.error is None else dumps(r.error),
            debug=r.debug,
            trigger=r.trigger,
            replay_of=r.replay_of,
            resumed_from_step=r.resumed_from_step,
            batch_id=r.batch_id,
            created_at=r.created_at,
            started_at=r.started_at,
            finished_at=r.finished_at,
            duration=r.duration,
            last_seq=r.last_seq,
            list_sk=sort_key(r.created_at, r.id),
            expires_at=self._expiry(r.created_at),
        )
        # An expired run that DynamoDB has not deleted yet does not hold on to its id.
        free = RunItem.id.does_not_exist() | (RunItem.expires_at <= to_ttl(self._clock()))
        try:
            item.save(condition=free)
        except PutError as exc:
            if condition_failed(exc):
                raise ConflictError(
                    f"a run with id {run.id!r} already exists; choose another id", run_id=run.id
                ) from None
            raise

    def _get(self, run_id: str) -> RunItem:
        try:
            item = RunItem.get(run_id, consistent_read=True)
        except RunItem.DoesNotExist:
            raise not_found("run", run_id) from None
        if not self._live(item.expires_at):
            raise not_found("run", run_id)
        return item

    def get_run(self, run_id: str) -> RunRecord:
        """The run; NotFoundError when there is none with this id (or it expired)."""
        return _run(self._get(run_id))

    def update_run(
        self,
        run_id: str,
        *,
        expected_status: Collection[RunStatus] | None = None,
        **changes: Any,
    ) -> RunRecord:
        """Change fields of a run and return it; ConflictError if its status is not expected.

        The status check is the update's condition, so two callers racing to move a run
        out of the same status cannot both win. ValueError for a field that does not
        exist (or is ``id``/``last_seq``), an unknown status or None for a required field.
        """
        expected = None if expected_status is None else tuple(expected_status)
        actions = self._actions(run_id, changes)
        if not actions or expected == ():
            run = self.get_run(run_id)
            if expected is not None and run.status not in expected:
                raise run_status_conflict(run_id, run.status, expected)
            return run
        condition: Condition = RunItem.id.exists()
        if expected is not None:
            condition &= RunItem.status.is_in(*expected)
        item = RunItem(id=run_id)
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
            stored = self.get_run(run_id)  # NotFoundError when it is gone
            raise run_status_conflict(run_id, stored.status, expected or ()) from None
        return _run(item)

    def _actions(self, run_id: str, changes: dict[str, Any]) -> list[Action]:
        check_run_changes(changes)
        if "status" in changes:
            check_run_status(changes["status"])
        actions: list[Action] = []
        attributes = RunItem.get_attributes()
        for name, value in changes.items():
            attribute: Any = attributes[name]
            if value is None:
                if name in _NOT_NULL:
                    raise ValueError(f"invalid change to run {run_id!r}: {name} cannot be None")
                actions.append(attribute.remove())
            else:
                actions.append(attribute.set(dumps(value) if name in _JSON else value))
        if changes.get("created_at") is not None:
            created_at = float(changes["created_at"])
            actions.append(RunItem.list_sk.set(sort_key(created_at, run_id)))
            expiry = self._expiry(created_at)
            if expiry is not None:
                actions.append(RunItem.expires_at.set(expiry))
        return actions

    def list_runs(
        self,
        *,
        workflow_id: str | None = None,
        status: Collection[RunStatus] | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[RunRecord]:
        """Newest first (by ``created_at``, then id), filtered; ``since <= created_at < until``."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        upper_bounds = [] if until is None else [time_key(until)]
        if cursor is not None:
            upper_bounds.append(decode_cursor(cursor))
        upper = min(upper_bounds) if upper_bounds else None
        lower = None if since is None else time_key(since)
        statuses = None if status is None else tuple(dict.fromkeys(status))
        if statuses == ():
            return Page([])
        if workflow_id is not None:
            found = self._query(RunItem.by_workflow, workflow_id, lower, upper, limit, statuses)
        elif statuses is not None:
            streams = [
                self._query(RunItem.by_status, s, lower, upper, limit, None) for s in statuses
            ]
            found = heapq.merge(*streams, key=lambda item: item.list_sk, reverse=True)
        else:
            found = self._query(RunItem.by_created, "run", lower, upper, limit, None)
        items = list(itertools.islice(found, limit + 1))
        page = [_run(item) for item in items[:limit]]
        more = len(items) > limit
        last = page[-1] if page else None
        return Page(page, encode_cursor(last.created_at, last.id) if more and last else None)

    def _query(
        self,
        index: Any,
        partition: str,
        lower: str | None,
        upper: str | None,
        limit: int,
        statuses: tuple[str, ...] | None,
    ) -> Iterator[RunItem]:
        """Live items of one index partition with ``lower <= list_sk < upper``, newest first."""
        key_condition: Condition | None
        if lower is not None and upper is not None:
            # Inclusive both ends; the one item equal to ``upper`` (a cursor) is skipped below.
            key_condition = RunItem.list_sk.between(lower, upper)
        elif upper is not None:
            key_condition = RunItem.list_sk < upper
        elif lower is not None:
            key_condition = RunItem.list_sk >= lower
        else:
            key_condition = None
        items: Iterable[RunItem] = index.query(
            partition,
            range_key_condition=key_condition,
            filter_condition=None if statuses is None else RunItem.status.is_in(*statuses),
            scan_index_forward=False,
            page_size=limit + 2,
        )
        for item in items:
            if (upper is None or item.list_sk < upper) and self._live(item.expires_at):
                yield item

    def delete_run(self, run_id: str) -> None:
        """Remove the run and its events (the run first: NotFoundError when it is missing)."""
        try:
            RunItem(id=run_id).delete(condition=RunItem.id.exists())
        except DeleteError as exc:
            if condition_failed(exc):
                raise not_found("run", run_id) from None
            raise
        with EventItem.batch_write() as batch:
            for event in EventItem.query(
                run_id, consistent_read=True, attributes_to_get=["run_id", "seq"]
            ):
                batch.delete(event)

    # ------------------------------------------------------------------------ events

    def append_events(self, events: Sequence[EventRecord]) -> None:
        """Store events of one run and raise its ``last_seq``, all or nothing.

        One transaction per :data:`EVENTS_PER_TRANSACTION` events: each event is put
        only if its seq is free, and the run's ``last_seq`` raised only if it is still
        the value just read. ConflictError if a sequence number is already stored
        (nothing of that transaction is kept); NotFoundError if the run does not exist;
        ValueError for a batch that mixes runs.
        """
        if not events:
            return
        run_id = events[0].run_id
        if any(event.run_id != run_id for event in events):
            raise ValueError("append_events takes the events of one run per call")
        repeated = sorted(seq for seq, n in Counter(e.seq for e in events).items() if n > 1)
        if repeated:
            raise self._seq_conflict(run_id, repeated)
        for start in range(0, len(events), EVENTS_PER_TRANSACTION):
            self._append_chunk(run_id, events[start : start + EVENTS_PER_TRANSACTION])

    def _append_chunk(self, run_id: str, events: Sequence[EventRecord]) -> None:
        top = max(e.seq for e in events)
        for _ in range(_RETRIES):
            run = self._get(run_id)
            last_seq = int(run.last_seq)
            try:
                with transaction(RunItem) as tx:
                    # An expired event (of an expired run whose id was reused) is free.
                    free = EventItem.seq.does_not_exist() | (
                        EventItem.expires_at <= to_ttl(self._clock())
                    )
                    for e in events:
                        tx.save(self._event_item(e, run.expires_at), condition=free)
                    guard = RunItem.id.exists() & (RunItem.last_seq == last_seq)
                    if top > last_seq:
                        tx.update(
                            RunItem(id=run_id),
                            actions=[RunItem.last_seq.set(top)],
                            condition=guard,
                        )
                    else:
                        tx.condition_check(RunItem, run_id, condition=guard)
                return
            except TransactWriteError as exc:
                if not condition_failed(exc):
                    raise
                stored = self._stored_seqs(run_id, [e.seq for e in events])
                if stored:
                    raise self._seq_conflict(run_id, stored) from None
                # Only the run changed (another append): read it again and retry.
        raise ConflictError(
            f"run {run_id!r} kept changing while its events were appended; retry",
            run_id=run_id,
        )

    @staticmethod
    def _event_item(e: EventRecord, expires_at: datetime | None) -> EventItem:
        return EventItem(
            run_id=e.run_id,
            seq=e.seq,
            type=e.type,
            workflow_id=e.workflow_id,
            node=e.node,
            attempt=e.attempt,
            data=dumps(e.data),
            ts=e.ts,
            expires_at=expires_at,
        )

    def _stored_seqs(self, run_id: str, seqs: list[int]) -> list[int]:
        keys = [(run_id, seq) for seq in seqs]
        items = EventItem.batch_get(keys, consistent_read=True)
        return sorted(int(item.seq) for item in items if self._live(item.expires_at))

    @staticmethod
    def _seq_conflict(run_id: str, clashes: list[int]) -> ConflictError:
        return ConflictError(
            f"run {run_id!r} already has event(s) with seq {', '.join(map(str, clashes))}; "
            "events are never overwritten, so none of this batch was stored",
            run_id=run_id,
            seqs=clashes,
        )

    def list_events(
        self, run_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[EventRecord]:
        """The run's events with ``seq > after_seq``, in order (empty for an unknown run)."""
        if limit is not None and limit < 1:
            return []
        items = EventItem.query(
            run_id,
            EventItem.seq > after_seq,
            consistent_read=True,
            page_size=None if limit is None else limit + 1,
        )
        live = (item for item in items if self._live(item.expires_at))
        return [_event(item) for item in itertools.islice(live, limit)]
