"""Conformance suite for the EventBus port: every test runs against every implementation.

How an implementation joins: write a factory, a context manager ``(max_queue) ->
EventBus`` giving a fresh bus whose subscriptions buffer at most ``max_queue`` events,
and add it to :data:`BUSES`. Tests of one implementation's own machinery sit at the
end, outside the registry.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator

import pytest
from aws.moto_env import moto_tables

from functions.backends.aws.bus import DynamoEventBus
from functions.backends.local.bus import InProcessEventBus, InProcessSubscription
from functions.backends.ports import EventBus, EventRecord, Subscription
from orcheo_core.errors import ConfigError

Factory = Callable[[int], contextlib.AbstractContextManager[EventBus]]


@contextlib.contextmanager
def make_in_process(max_queue: int) -> Iterator[EventBus]:
    yield InProcessEventBus(max_queue=max_queue)


@contextlib.contextmanager
def make_dynamo(max_queue: int) -> Iterator[EventBus]:
    """The AWS backend: events stored in the run-events table (moto), delivered from its stream."""
    with moto_tables():
        yield DynamoEventBus(max_queue=max_queue)


BUSES: dict[str, Factory] = {"in_process": make_in_process, "dynamo": make_dynamo}
"""Every implementation of the EventBus port, by name; add one here to test it."""

# Generous: only a broken bus makes a test wait this long.
DEADLINE = 10.0


@pytest.fixture(params=sorted(BUSES), ids=sorted(BUSES))
def factory(request: pytest.FixtureRequest) -> Factory:
    return BUSES[request.param]


@pytest.fixture
def bus(factory: Factory) -> Iterator[EventBus]:
    with factory(10_000) as built:
        yield built


def event(run_id: str = "r1", seq: int = 1, workflow_id: str = "w1") -> EventRecord:
    return EventRecord(
        run_id=run_id,
        seq=seq,
        type="node_completed",
        workflow_id=workflow_id,
        node="fetch",
        data={"seq": seq},
    )


async def drain(subscription: Subscription, count: int) -> list[EventRecord]:
    """The next ``count`` events; fails if they do not all arrive before the deadline."""
    received = []
    for _ in range(count):
        got = await subscription.get(timeout=DEADLINE)
        assert got is not None, f"only {len(received)} of {count} events arrived"
        received.append(got)
    return received


async def nothing_more(subscription: Subscription) -> bool:
    """True when no further event is waiting (everything published so far was delivered)."""
    return await subscription.get(timeout=0.01) is None


# ---------------------------------------------------------------------------- delivery


async def test_events_arrive_in_publication_order(bus: EventBus) -> None:
    subscription = bus.subscribe(["run:r1"])
    for seq in range(1, 201):
        bus.publish(event(seq=seq))
    received = await drain(subscription, 200)
    assert [e.seq for e in received] == list(range(1, 201))
    assert received[0] == event(seq=1)
    assert await nothing_more(subscription)


async def test_run_topic_gets_only_that_run(bus: EventBus) -> None:
    subscription = bus.subscribe(["run:r1"])
    bus.publish(event("r2", 1))
    bus.publish(event("r1", 1))
    bus.publish(event("r2", 2, workflow_id="w2"))
    assert [(e.run_id, e.seq) for e in await drain(subscription, 1)] == [("r1", 1)]
    assert await nothing_more(subscription)


async def test_workflow_topic_gets_every_run_of_that_workflow(bus: EventBus) -> None:
    subscription = bus.subscribe(["workflow:w1"])
    bus.publish(event("r1", 1, "w1"))
    bus.publish(event("r2", 1, "w2"))
    bus.publish(event("r3", 1, "w1"))
    assert [e.run_id for e in await drain(subscription, 2)] == ["r1", "r3"]
    assert await nothing_more(subscription)


async def test_subscriber_to_both_topics_of_an_event_gets_it_once(bus: EventBus) -> None:
    subscription = bus.subscribe(["run:r1", "workflow:w1"])
    bus.publish(event("r1", 1, "w1"))
    bus.publish(event("r9", 1, "w1"))  # matches the workflow only
    bus.publish(event("r1", 2, "w1"))
    received = await drain(subscription, 3)
    assert [(e.run_id, e.seq) for e in received] == [("r1", 1), ("r9", 1), ("r1", 2)]
    assert await nothing_more(subscription)


async def test_every_subscriber_gets_every_event(bus: EventBus) -> None:
    first = bus.subscribe(["run:r1"])
    second = bus.subscribe(["run:r1"])
    by_workflow = bus.subscribe(["workflow:w1"])
    for seq in (1, 2):
        bus.publish(event(seq=seq))
    for subscription in (first, second, by_workflow):
        assert [e.seq for e in await drain(subscription, 2)] == [1, 2]


async def test_events_published_before_subscribing_are_not_delivered(bus: EventBus) -> None:
    bus.publish(event(seq=1))
    subscription = bus.subscribe(["run:r1"])
    bus.publish(event(seq=2))
    assert [e.seq for e in await drain(subscription, 1)] == [2]


async def test_publish_without_subscribers_is_harmless(bus: EventBus) -> None:
    for seq in range(1, 1001):
        bus.publish(event(seq=seq))
    subscription = bus.subscribe(["run:r1"])
    assert await nothing_more(subscription)


async def test_iterating_yields_events_until_closed(bus: EventBus) -> None:
    subscription = bus.subscribe(["run:r1"])
    seen: list[int] = []

    async def consume() -> None:
        async for received in subscription:
            seen.append(received.seq)

    consumer = asyncio.create_task(consume())
    for seq in (1, 2, 3):
        bus.publish(event(seq=seq))
    await wait_until(lambda: len(seen) == 3)
    subscription.close()
    await asyncio.wait_for(consumer, DEADLINE)
    assert seen == [1, 2, 3]


async def wait_until(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` until true; fail after the generous deadline."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + DEADLINE
    while not condition():
        assert loop.time() < give_up, "condition not met before the deadline"
        await asyncio.sleep(0.005)


# ---------------------------------------------------------------------------- get and close


async def test_get_times_out_with_none(bus: EventBus) -> None:
    subscription = bus.subscribe(["run:r1"])
    assert await subscription.get(timeout=0.01) is None
    assert await subscription.get(timeout=0) is None


async def test_get_waits_for_a_later_event(bus: EventBus) -> None:
    subscription = bus.subscribe(["run:r1"])
    waiting = asyncio.create_task(subscription.get(timeout=DEADLINE))
    await asyncio.sleep(0)
    assert not waiting.done()
    bus.publish(event(seq=7))
    got = await asyncio.wait_for(waiting, DEADLINE)
    assert got is not None and got.seq == 7


async def test_close_ends_a_waiting_get_and_iteration(bus: EventBus) -> None:
    subscription = bus.subscribe(["run:r1"])
    waiting = asyncio.create_task(subscription.get())
    consumer = asyncio.create_task(_collect(subscription))
    await asyncio.sleep(0)
    subscription.close()
    assert await asyncio.wait_for(waiting, DEADLINE) is None
    assert await asyncio.wait_for(consumer, DEADLINE) == []


async def _collect(subscription: Subscription) -> list[EventRecord]:
    return [e async for e in subscription]


async def test_after_close_nothing_more_is_delivered(bus: EventBus) -> None:
    subscription = bus.subscribe(["run:r1"])
    bus.publish(event(seq=1))
    subscription.close()
    subscription.close()  # idempotent
    bus.publish(event(seq=2))
    assert await subscription.get(timeout=0.01) is None
    assert [e async for e in subscription] == []


async def test_closing_one_subscription_leaves_the_others(bus: EventBus) -> None:
    closed = bus.subscribe(["run:r1"])
    open_ = bus.subscribe(["run:r1"])
    closed.close()
    bus.publish(event(seq=1))
    assert [e.seq for e in await drain(open_, 1)] == [1]


@pytest.mark.parametrize("topics", [[], ["r1"], ["runs:r1"], ["run:"], ["workflow:"]])
async def test_unknown_topics_are_rejected(bus: EventBus, topics: list[str]) -> None:
    with pytest.raises(ConfigError):
        bus.subscribe(topics)


# ---------------------------------------------------------------------------- overflow


async def test_a_subscriber_that_falls_behind_is_closed_and_marked_overflowed(
    factory: Factory,
) -> None:
    with factory(3) as bus:
        slow = bus.subscribe(["run:r1"])
        keeping_up = bus.subscribe(["run:r1"])
        for seq in range(1, 4):
            bus.publish(event(seq=seq))
        assert [e.seq for e in await drain(keeping_up, 3)] == [1, 2, 3]
        assert getattr(slow, "overflowed", None) is False

        bus.publish(event(seq=4))  # the fourth unread event: over the limit, no blocking
        assert getattr(slow, "overflowed", None) is True
        assert await slow.get(timeout=0.01) is None
        assert [e async for e in slow] == []

        bus.publish(event(seq=5))
        assert [e.seq for e in await drain(keeping_up, 2)] == [4, 5]


# ---------------------------------------------------------------------------- threads


async def test_publish_from_another_thread_arrives_in_order(bus: EventBus) -> None:
    subscription = bus.subscribe(["run:r1", "workflow:w1"])
    count = 2000

    def publisher() -> None:
        for seq in range(1, count + 1):
            bus.publish(event(seq=seq))

    thread = threading.Thread(target=publisher)
    thread.start()
    received = await drain(subscription, count)
    thread.join(DEADLINE)
    assert [e.seq for e in received] == list(range(1, count + 1))
    assert await nothing_more(subscription)


async def test_subscribers_on_two_loops_each_get_events(bus: EventBus) -> None:
    # A second loop in a thread (as a WebSocket worker might run); publish from here.
    ready = threading.Event()
    result: list[list[int]] = []

    async def other_loop() -> None:
        subscription = bus.subscribe(["run:r1"])
        ready.set()
        result.append([e.seq for e in await drain(subscription, 3)])

    thread = threading.Thread(target=asyncio.run, args=(other_loop(),))
    thread.start()
    assert await asyncio.to_thread(ready.wait, DEADLINE)
    mine = bus.subscribe(["run:r1"])
    for seq in (1, 2, 3):
        bus.publish(event(seq=seq))
    assert [e.seq for e in await drain(mine, 3)] == [1, 2, 3]
    await asyncio.to_thread(thread.join, DEADLINE)
    assert result == [[1, 2, 3]]


# ---------------------------------------------------------------------------- in-process only


async def test_in_process_subscription_is_a_context_manager() -> None:
    bus = InProcessEventBus()
    with bus.subscribe(["run:r1", "workflow:w1"]) as subscription:
        assert isinstance(subscription, InProcessSubscription)
        assert bus.subscriber_count("run:r1") == 1
        assert bus.subscriber_count("workflow:w1") == 1
    assert subscription.closed
    assert bus.subscriber_count("run:r1") == 0
    assert bus.subscriber_count("workflow:w1") == 0


async def test_overflow_unsubscribes() -> None:
    bus = InProcessEventBus(max_queue=1)
    subscription = bus.subscribe(["run:r1"])
    bus.publish(event(seq=1))
    bus.publish(event(seq=2))
    assert subscription.overflowed and subscription.closed
    assert bus.subscriber_count("run:r1") == 0


async def test_close_from_another_thread_wakes_the_reader() -> None:
    bus = InProcessEventBus()
    subscription = bus.subscribe(["run:r1"])
    waiting = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    await asyncio.to_thread(subscription.close)
    assert await asyncio.wait_for(waiting, DEADLINE) is None


def test_subscribe_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="event loop"):
        InProcessEventBus().subscribe(["run:r1"])


def test_queue_limit_must_be_positive() -> None:
    with pytest.raises(ConfigError):
        InProcessEventBus(max_queue=0)
