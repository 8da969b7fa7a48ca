"""The WorkflowStore port: workflows, optimistic updates, versions, listing and paging."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest

from functions.backends.ports import VersionRecord, WorkflowRecord, WorkflowStore
from functions.errors import ConflictError, NotFoundError, UnprocessableError


def workflow(id: str = "wf1", **fields: Any) -> WorkflowRecord:
    base = WorkflowRecord(id=id, name=f"Workflow {id}", created_at=100.0, updated_at=100.0)
    return replace(base, **fields)


def version(number: int, workflow_id: str = "wf1", **fields: Any) -> VersionRecord:
    base = VersionRecord(
        workflow_id=workflow_id,
        number=number,
        spec={"nodes": [{"id": f"n{number}"}]},
        created_at=200.0,
    )
    return replace(base, **fields)


def walk(store: WorkflowStore, **options: Any) -> list[str]:
    """Every id, page by page, following the cursors to the end."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = store.list_workflows(cursor=cursor, **options)
        ids.extend(w.id for w in page.items)
        if page.next_cursor is None:
            return ids
        assert page.items, "a page with a next cursor must not be empty"
        cursor = page.next_cursor


# ---------------------------------------------------------------------------- workflows


def test_a_workflow_round_trips_every_field(workflow_store: WorkflowStore) -> None:
    record = WorkflowRecord(
        id="wf-all",
        name="Ünïcode name",
        description="line one\nline two",
        tags=["a", "b c"],
        current_version=None,
        latest_version=0,
        archived=True,
        revision=1,
        created_at=1_700_000_000.123456,
        updated_at=1_700_000_001.5,
    )
    assert workflow_store.create_workflow(record) == record
    assert workflow_store.get_workflow("wf-all") == record


def test_creating_a_taken_id_conflicts(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("wf1", name="first"))
    with pytest.raises(ConflictError, match="wf1"):
        workflow_store.create_workflow(workflow("wf1", name="second"))
    assert workflow_store.get_workflow("wf1").name == "first"


def test_getting_a_missing_workflow_names_it(workflow_store: WorkflowStore) -> None:
    with pytest.raises(NotFoundError, match="nope"):
        workflow_store.get_workflow("nope")


def test_update_saves_metadata_and_bumps_the_revision(workflow_store: WorkflowStore) -> None:
    created = workflow_store.create_workflow(workflow("wf1", tags=["x"]))
    created.name = "Renamed"
    created.description = "now described"
    created.tags = ["y", "z"]
    created.archived = True
    created.updated_at = 150.0
    saved = workflow_store.update_workflow(created)
    assert saved.revision == 2
    assert (saved.name, saved.description, saved.tags, saved.archived, saved.updated_at) == (
        "Renamed",
        "now described",
        ["y", "z"],
        True,
        150.0,
    )
    assert saved.created_at == 100.0
    assert workflow_store.get_workflow("wf1") == saved


def test_update_with_a_stale_revision_conflicts(workflow_store: WorkflowStore) -> None:
    created = workflow_store.create_workflow(workflow("wf1"))
    mine, theirs = workflow_store.get_workflow("wf1"), workflow_store.get_workflow("wf1")
    theirs.name = "theirs"
    workflow_store.update_workflow(theirs)
    mine.name = "mine"
    with pytest.raises(ConflictError, match="reload"):
        workflow_store.update_workflow(mine)
    assert workflow_store.get_workflow(created.id).name == "theirs"


def test_update_of_a_missing_workflow_is_not_found(workflow_store: WorkflowStore) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        workflow_store.update_workflow(workflow("ghost"))


def test_update_never_changes_latest_version(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("wf1"))
    current = workflow_store.add_version(version(1))
    current.latest_version = 7
    saved = workflow_store.update_workflow(current)
    assert saved.latest_version == 1
    assert workflow_store.get_workflow("wf1").latest_version == 1


def test_update_can_choose_which_version_runs(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("wf1"))
    workflow_store.add_version(version(1))
    current = workflow_store.add_version(version(2))
    assert current.current_version == 1
    current.current_version = 2
    assert workflow_store.update_workflow(current).current_version == 2


def test_delete_removes_the_workflow_and_its_versions(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("wf1"))
    workflow_store.add_version(version(1))
    workflow_store.delete_workflow("wf1")
    with pytest.raises(NotFoundError):
        workflow_store.get_workflow("wf1")
    with pytest.raises(NotFoundError):
        workflow_store.list_versions("wf1")
    # The id is free again, with no versions left over from before.
    workflow_store.create_workflow(workflow("wf1"))
    assert workflow_store.list_versions("wf1") == []
    assert workflow_store.add_version(version(1)).latest_version == 1


def test_deleting_a_missing_workflow_is_not_found(workflow_store: WorkflowStore) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        workflow_store.delete_workflow("ghost")


# ---------------------------------------------------------------------------- versions


def test_a_version_round_trips_every_field(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("wf1"))
    record = VersionRecord(
        workflow_id="wf1",
        number=1,
        kind="script",
        spec={"nodes": [{"id": "a", "config": {"n": 1.5, "ok": True, "none": None}}], "e": []},
        source="from langgraph.graph import StateGraph\n",
        note="first cut",
        created_at=1_700_000_000.25,
    )
    workflow_store.add_version(record)
    assert workflow_store.get_version("wf1", 1) == record


def test_the_first_version_becomes_current(workflow_store: WorkflowStore) -> None:
    created = workflow_store.create_workflow(workflow("wf1"))
    assert (created.latest_version, created.current_version) == (0, None)
    updated = workflow_store.add_version(version(1))
    assert (updated.latest_version, updated.current_version) == (1, 1)
    assert workflow_store.get_workflow("wf1") == updated


def test_later_versions_leave_the_current_one(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("wf1"))
    workflow_store.add_version(version(1))
    updated = workflow_store.add_version(version(2))
    assert (updated.latest_version, updated.current_version) == (2, 1)


def test_adding_a_version_invalidates_older_copies_of_the_workflow(
    workflow_store: WorkflowStore,
) -> None:
    # Otherwise a client still holding the versionless record could save it and put
    # current_version back to None behind the new version's back.
    stale = workflow_store.create_workflow(workflow("wf1"))
    updated = workflow_store.add_version(version(1))
    assert updated.revision > stale.revision
    stale.name = "stale"
    with pytest.raises(ConflictError):
        workflow_store.update_workflow(stale)
    updated.name = "fresh"
    assert workflow_store.update_workflow(updated).current_version == 1


@pytest.mark.parametrize("number", [0, 2, 3])
def test_a_version_number_must_follow_the_latest(
    workflow_store: WorkflowStore, number: int
) -> None:
    workflow_store.create_workflow(workflow("wf1"))
    with pytest.raises(ConflictError, match="reload"):
        workflow_store.add_version(version(number))
    assert workflow_store.list_versions("wf1") == []
    assert workflow_store.get_workflow("wf1").latest_version == 0


def test_a_version_number_cannot_be_reused(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("wf1"))
    workflow_store.add_version(version(1, note="original"))
    with pytest.raises(ConflictError):
        workflow_store.add_version(version(1, note="overwrite"))
    assert workflow_store.get_version("wf1", 1).note == "original"


def test_adding_a_version_to_a_missing_workflow_is_not_found(
    workflow_store: WorkflowStore,
) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        workflow_store.add_version(version(1, workflow_id="ghost"))


def test_concurrent_adds_of_the_same_number_have_one_winner(
    workflow_store: WorkflowStore,
) -> None:
    workflow_store.create_workflow(workflow("wf1"))
    contenders = 8
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []
    lock = threading.Lock()

    def add(i: int) -> None:
        barrier.wait()
        try:
            workflow_store.add_version(version(1, note=f"by {i}"))
            outcome = f"won {i}"
        except ConflictError:
            outcome = "lost"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1 and outcomes.count("lost") == contenders - 1
    assert [v.note for v in workflow_store.list_versions("wf1")] == [f"by {winners[0][4:]}"]
    assert workflow_store.get_workflow("wf1").latest_version == 1


def test_versions_are_listed_oldest_first(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("wf1"))
    for number in (1, 2, 3):
        workflow_store.add_version(version(number, created_at=300.0 - number))
    assert [v.number for v in workflow_store.list_versions("wf1")] == [1, 2, 3]


def test_versions_belong_to_their_workflow(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("a"))
    workflow_store.create_workflow(workflow("b"))
    workflow_store.add_version(version(1, workflow_id="a", note="of a"))
    assert workflow_store.list_versions("b") == []
    assert [v.note for v in workflow_store.list_versions("a")] == ["of a"]


def test_a_missing_version_is_not_found(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("wf1"))
    workflow_store.add_version(version(1))
    with pytest.raises(NotFoundError, match="2"):
        workflow_store.get_version("wf1", 2)
    with pytest.raises(NotFoundError, match="ghost"):
        workflow_store.get_version("ghost", 1)
    with pytest.raises(NotFoundError, match="ghost"):
        workflow_store.list_versions("ghost")


# ---------------------------------------------------------------------------- listing


def test_list_is_newest_first_with_ties_broken_by_id(workflow_store: WorkflowStore) -> None:
    for id, created_at in [("b", 10.0), ("a", 30.0), ("c", 20.0), ("d", 20.0)]:
        workflow_store.create_workflow(workflow(id, created_at=created_at))
    page = workflow_store.list_workflows()
    assert [w.id for w in page.items] == ["a", "d", "c", "b"]
    assert page.next_cursor is None


def test_archived_workflows_are_listed_only_when_asked(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("live", created_at=2.0))
    workflow_store.create_workflow(workflow("old", archived=True, created_at=1.0))
    assert [w.id for w in workflow_store.list_workflows().items] == ["live"]
    listed = workflow_store.list_workflows(include_archived=True).items
    assert [w.id for w in listed] == ["live", "old"]


def test_archiving_by_update_hides_from_the_list(workflow_store: WorkflowStore) -> None:
    created = workflow_store.create_workflow(workflow("wf1"))
    created.archived = True
    workflow_store.update_workflow(created)
    assert workflow_store.list_workflows().items == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("invoice", ["name"]),
        ("INVOICE", ["name"]),
        ("slack", ["desc"]),
        ("finance", ["tag"]),
        ("FIN", ["tag"]),
        ("straße", ["unicode"]),
        ("STRASSE", ["unicode"]),
        ("nothing-matches", []),
        ("", ["unicode", "tag", "desc", "name"]),
    ],
)
def test_query_matches_name_description_or_tags_case_insensitively(
    workflow_store: WorkflowStore, query: str, expected: list[str]
) -> None:
    workflow_store.create_workflow(workflow("name", name="Monthly Invoices", created_at=1.0))
    workflow_store.create_workflow(
        workflow("desc", name="Alerts", description="Posts to Slack", created_at=2.0)
    )
    workflow_store.create_workflow(
        workflow("tag", name="Reports", tags=["ops", "Finance"], created_at=3.0)
    )
    workflow_store.create_workflow(workflow("unicode", name="Hauptstraße", created_at=4.0))
    assert [w.id for w in workflow_store.list_workflows(query=query).items] == expected


def test_query_follows_renames(workflow_store: WorkflowStore) -> None:
    created = workflow_store.create_workflow(workflow("wf1", name="Before"))
    created.name = "After"
    workflow_store.update_workflow(created)
    assert workflow_store.list_workflows(query="before").items == []
    assert [w.id for w in workflow_store.list_workflows(query="after").items] == ["wf1"]


def test_query_skips_archived_unless_asked(workflow_store: WorkflowStore) -> None:
    workflow_store.create_workflow(workflow("wf1", name="Invoices", archived=True))
    assert workflow_store.list_workflows(query="invoice").items == []
    found = workflow_store.list_workflows(query="invoice", include_archived=True).items
    assert [w.id for w in found] == ["wf1"]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
def test_paging_visits_every_workflow_once_in_order(
    workflow_store: WorkflowStore, limit: int
) -> None:
    # Several share a created_at, so the cursor must carry the tie-breaker too.
    ids = [f"wf{i:02d}" for i in range(13)]
    for i, id in enumerate(ids):
        workflow_store.create_workflow(workflow(id, created_at=float(i // 3)))
    expected = sorted(ids, key=lambda id: (ids.index(id) // 3, id), reverse=True)
    assert walk(workflow_store, limit=limit) == expected


def test_paging_respects_filters(workflow_store: WorkflowStore) -> None:
    for i in range(10):
        workflow_store.create_workflow(
            workflow(f"wf{i}", name="even" if i % 2 == 0 else "odd", archived=i == 4, created_at=i)
        )
    assert walk(workflow_store, query="even", limit=2) == ["wf8", "wf6", "wf2", "wf0"]
    assert walk(workflow_store, query="even", include_archived=True, limit=2) == [
        "wf8",
        "wf6",
        "wf4",
        "wf2",
        "wf0",
    ]


def test_a_full_last_page_has_no_cursor(workflow_store: WorkflowStore) -> None:
    for i in range(4):
        workflow_store.create_workflow(workflow(f"wf{i}", created_at=float(i)))
    first = workflow_store.list_workflows(limit=2)
    assert len(first.items) == 2 and first.next_cursor is not None
    second = workflow_store.list_workflows(limit=2, cursor=first.next_cursor)
    assert [w.id for w in second.items] == ["wf1", "wf0"]
    assert second.next_cursor is None


def test_an_empty_store_lists_nothing(workflow_store: WorkflowStore) -> None:
    page = workflow_store.list_workflows()
    assert page.items == [] and page.next_cursor is None


@pytest.mark.parametrize("cursor", ["garbage", "", "W10", "eyJhIjoxfQ"])
def test_a_cursor_not_made_by_the_store_is_refused(
    workflow_store: WorkflowStore, cursor: str
) -> None:
    with pytest.raises(UnprocessableError, match="cursor"):
        workflow_store.list_workflows(cursor=cursor)
