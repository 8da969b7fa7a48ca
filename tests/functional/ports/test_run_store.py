"""The RunStore port: runs, guarded status changes, filtered listing, ordered events."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from functions.backends.ports import EventRecord, RunRecord, RunStore
from functions.errors import ConflictError, NotFoundError, UnprocessableError


def run(id: str = "r1", **fields: Any) -> RunRecord:
    return replace(RunRecord(id=id, workflow_id="wf1", version=1, created_at=100.0), **fields)


def event(seq: int, run_id: str = "r1", **fields: Any) -> EventRecord:
    base = EventRecord(run_id=run_id, seq=seq, type="node_started", data={"i": seq}, ts=seq)
    return replace(base, **fields)


def walk(store: RunStore, **filters: Any) -> list[str]:
    """Every run id, page by page, following the cursors to the end."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = store.list_runs(cursor=cursor, **filters)
        ids.extend(r.id for r in page.items)
        if page.next_cursor is None:
            return ids
        assert page.items, "a page with a next cursor must not be empty"
        cursor = page.next_cursor


# ---------------------------------------------------------------------------- runs


def test_a_run_round_trips_every_field(run_store: RunStore) -> None:
    record = RunRecord(
        id="r-all",
        workflow_id="wf9",
        version=3,
        status="failed",
        inputs={"text": "héllo", "n": [1, 2.5, None, True], "nested": {"a": {}}},
        state={"out": "x"},
        error={"code": "node_error", "message": "boom", "details": {"node": "a"}},
        debug=True,
        trigger="webhook",
        replay_of="r0",
        resumed_from_step=4,
        batch_id="b1",
        created_at=1_700_000_000.000001,
        started_at=1_700_000_000.5,
        finished_at=1_700_000_002.75,
        duration=2.25,
        last_seq=0,
    )
    run_store.create_run(record)
    assert run_store.get_run("r-all") == record


def test_a_minimal_run_keeps_its_defaults(run_store: RunStore) -> None:
    run_store.create_run(run())
    assert run_store.get_run("r1") == run()


def test_creating_a_taken_id_conflicts(run_store: RunStore) -> None:
    run_store.create_run(run(trigger="first"))
    with pytest.raises(ConflictError, match="r1"):
        run_store.create_run(run(trigger="second"))
    assert run_store.get_run("r1").trigger == "first"


def test_getting_a_missing_run_names_it(run_store: RunStore) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        run_store.get_run("ghost")


def test_update_changes_only_the_given_fields(run_store: RunStore) -> None:
    run_store.create_run(run(inputs={"a": 1}))
    updated = run_store.update_run(
        "r1",
        status="succeeded",
        state={"result": [1, 2]},
        finished_at=105.5,
        duration=5.5,
    )
    assert updated == run(
        inputs={"a": 1},
        status="succeeded",
        state={"result": [1, 2]},
        finished_at=105.5,
        duration=5.5,
    )
    assert run_store.get_run("r1") == updated


def test_update_can_clear_a_field(run_store: RunStore) -> None:
    run_store.create_run(run(error={"code": "x"}, state={"a": 1}))
    updated = run_store.update_run("r1", error=None, state=None, debug=True)
    assert (updated.error, updated.state, updated.debug) == (None, None, True)


def test_update_with_the_expected_status_applies(run_store: RunStore) -> None:
    run_store.create_run(run())
    updated = run_store.update_run(
        "r1", expected_status=["queued"], status="running", started_at=101.0
    )
    assert (updated.status, updated.started_at) == ("running", 101.0)


def test_update_with_an_unexpected_status_conflicts_and_changes_nothing(
    run_store: RunStore,
) -> None:
    run_store.create_run(run(status="cancelled"))
    with pytest.raises(ConflictError, match="cancelled"):
        run_store.update_run("r1", expected_status=("queued", "running"), status="running")
    assert run_store.get_run("r1").status == "cancelled"


def test_only_one_of_two_racing_status_changes_wins(run_store: RunStore) -> None:
    run_store.create_run(run(status="running"))
    run_store.update_run("r1", expected_status={"running"}, status="succeeded")
    with pytest.raises(ConflictError, match="succeeded"):
        run_store.update_run("r1", expected_status={"running"}, status="cancelled")
    assert run_store.get_run("r1").status == "succeeded"


def test_update_of_a_missing_run_is_not_found(run_store: RunStore) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        run_store.update_run("ghost", status="running")
    with pytest.raises(NotFoundError, match="ghost"):
        run_store.update_run("ghost", expected_status=["queued"], status="running")


def test_update_of_an_unknown_field_is_refused(run_store: RunStore) -> None:
    run_store.create_run(run())
    with pytest.raises((ValueError, TypeError)):
        run_store.update_run("r1", colour="blue")
    assert run_store.get_run("r1") == run()


def test_update_with_no_changes_returns_the_run(run_store: RunStore) -> None:
    run_store.create_run(run())
    assert run_store.update_run("r1") == run()
    with pytest.raises(ConflictError, match="queued"):
        run_store.update_run("r1", expected_status=["running"])


def test_delete_removes_the_run_and_its_events(run_store: RunStore) -> None:
    run_store.create_run(run())
    run_store.append_events([event(1), event(2)])
    run_store.delete_run("r1")
    with pytest.raises(NotFoundError):
        run_store.get_run("r1")
    assert run_store.list_events("r1") == []
    # A new run with the same id starts with no events.
    run_store.create_run(run())
    run_store.append_events([event(1)])
    assert [e.seq for e in run_store.list_events("r1")] == [1]


def test_deleting_a_missing_run_is_not_found(run_store: RunStore) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        run_store.delete_run("ghost")


# ---------------------------------------------------------------------------- listing


def test_list_is_newest_first_with_ties_broken_by_id(run_store: RunStore) -> None:
    for id, created_at in [("b", 10.0), ("a", 30.0), ("c", 20.0), ("d", 20.0)]:
        run_store.create_run(run(id, created_at=created_at))
    page = run_store.list_runs()
    assert [r.id for r in page.items] == ["a", "d", "c", "b"]
    assert page.next_cursor is None


def test_list_filters_by_workflow_and_status(run_store: RunStore) -> None:
    run_store.create_run(run("r1", workflow_id="a", status="succeeded", created_at=1.0))
    run_store.create_run(run("r2", workflow_id="a", status="failed", created_at=2.0))
    run_store.create_run(run("r3", workflow_id="b", status="succeeded", created_at=3.0))
    run_store.create_run(run("r4", workflow_id="a", status="running", created_at=4.0))
    assert walk(run_store, workflow_id="a") == ["r4", "r2", "r1"]
    assert walk(run_store, status=["succeeded"]) == ["r3", "r1"]
    assert walk(run_store, status={"succeeded", "failed"}) == ["r3", "r2", "r1"]
    assert walk(run_store, workflow_id="a", status=("succeeded", "running")) == ["r4", "r1"]
    assert walk(run_store, workflow_id="nope") == []
    assert walk(run_store, status=()) == []


def test_list_sees_status_changes(run_store: RunStore) -> None:
    run_store.create_run(run("r1"))
    run_store.update_run("r1", status="running")
    assert walk(run_store, status=["queued"]) == []
    assert walk(run_store, status=["running"]) == ["r1"]


def test_since_is_inclusive_and_until_exclusive(run_store: RunStore) -> None:
    for i in range(1, 6):
        run_store.create_run(run(f"r{i}", created_at=float(i * 10)))
    assert walk(run_store, since=20.0) == ["r5", "r4", "r3", "r2"]
    assert walk(run_store, until=30.0) == ["r2", "r1"]
    assert walk(run_store, since=20.0, until=40.0) == ["r3", "r2"]
    assert walk(run_store, since=25.0, until=26.0) == []


@pytest.mark.parametrize("limit", [1, 2, 4, 5, 100])
def test_paging_visits_every_run_once_in_order(run_store: RunStore, limit: int) -> None:
    # Batches of runs share a created_at, so the cursor must carry the tie-breaker too.
    ids = [f"r{i:02d}" for i in range(17)]
    for i, id in enumerate(ids):
        run_store.create_run(run(id, created_at=1000.0 + i // 4))
    expected = sorted(ids, key=lambda id: (ids.index(id) // 4, id), reverse=True)
    assert walk(run_store, limit=limit) == expected


def test_paging_keeps_the_filters(run_store: RunStore) -> None:
    for i in range(12):
        run_store.create_run(
            run(f"r{i:02d}", workflow_id="a" if i % 3 else "b", created_at=float(i))
        )
    assert walk(run_store, workflow_id="b", limit=1) == ["r09", "r06", "r03", "r00"]
    assert walk(run_store, workflow_id="a", since=5.0, limit=2) == [
        "r11",
        "r10",
        "r08",
        "r07",
        "r05",
    ]


def test_a_cursor_not_made_by_the_store_is_refused(run_store: RunStore) -> None:
    with pytest.raises(UnprocessableError, match="cursor"):
        run_store.list_runs(cursor="not-a-cursor")


# ---------------------------------------------------------------------------- events


def test_events_round_trip_every_field(run_store: RunStore) -> None:
    run_store.create_run(run())
    first = EventRecord(
        run_id="r1",
        seq=1,
        type="node_finished",
        workflow_id="wf1",
        node="fetch",
        attempt=2,
        data={"output": {"rows": [1, 2.5, None, "é"], "ok": False}, "empty": {}},
        ts=1_700_000_000.125,
    )
    bare = EventRecord(run_id="r1", seq=2, type="run_finished")
    run_store.append_events([first, bare])
    assert run_store.list_events("r1") == [first, bare]


def test_appending_raises_the_runs_last_seq(run_store: RunStore) -> None:
    run_store.create_run(run())
    run_store.append_events([event(1)])
    assert run_store.get_run("r1").last_seq == 1
    run_store.append_events([event(2), event(3), event(4)])
    assert run_store.get_run("r1").last_seq == 4


def test_events_are_listed_in_order_after_a_seq(run_store: RunStore) -> None:
    run_store.create_run(run())
    for seq in range(1, 11):
        run_store.append_events([event(seq)])
    assert [e.seq for e in run_store.list_events("r1")] == list(range(1, 11))
    assert [e.seq for e in run_store.list_events("r1", after_seq=7)] == [8, 9, 10]
    assert [e.seq for e in run_store.list_events("r1", after_seq=2, limit=3)] == [3, 4, 5]
    assert run_store.list_events("r1", after_seq=10) == []


def test_events_belong_to_their_run(run_store: RunStore) -> None:
    run_store.create_run(run("r1"))
    run_store.create_run(run("r2"))
    run_store.append_events([event(1, "r1"), event(2, "r1")])
    run_store.append_events([event(1, "r2", type="other")])
    assert [(e.seq, e.type) for e in run_store.list_events("r2")] == [(1, "other")]
    assert run_store.get_run("r2").last_seq == 1


def test_a_stored_seq_is_never_overwritten(run_store: RunStore) -> None:
    run_store.create_run(run())
    run_store.append_events([event(1, type="original")])
    with pytest.raises(ConflictError, match="1"):
        run_store.append_events([event(1, type="overwrite")])
    assert [e.type for e in run_store.list_events("r1")] == ["original"]


def test_a_batch_with_a_clash_stores_nothing(run_store: RunStore) -> None:
    run_store.create_run(run())
    run_store.append_events([event(1), event(2)])
    with pytest.raises(ConflictError, match="2"):
        run_store.append_events([event(3), event(4), event(2, type="clash"), event(5)])
    assert [e.seq for e in run_store.list_events("r1")] == [1, 2]
    assert run_store.get_run("r1").last_seq == 2
    # The run is not wedged: the next good batch goes in.
    run_store.append_events([event(3), event(4)])
    assert run_store.get_run("r1").last_seq == 4


def test_a_batch_repeating_a_seq_stores_nothing(run_store: RunStore) -> None:
    run_store.create_run(run())
    with pytest.raises(ConflictError):
        run_store.append_events([event(1), event(1, type="again")])
    assert run_store.list_events("r1") == []
    assert run_store.get_run("r1").last_seq == 0


def test_appending_nothing_is_a_no_op(run_store: RunStore) -> None:
    run_store.create_run(run())
    run_store.append_events([])
    assert run_store.get_run("r1").last_seq == 0


def test_events_of_an_unknown_run_list_empty(run_store: RunStore) -> None:
    assert run_store.list_events("ghost") == []


def test_events_of_a_missing_run_are_refused(run_store: RunStore) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        run_store.append_events([event(1, "ghost")])
    assert run_store.list_events("ghost") == []


def test_a_batch_mixing_runs_is_refused(run_store: RunStore) -> None:
    run_store.create_run(run("r1"))
    run_store.create_run(run("r2"))
    with pytest.raises(ValueError, match="one run"):
        run_store.append_events([event(1, "r1"), event(1, "r2")])
    assert run_store.list_events("r1") == run_store.list_events("r2") == []
