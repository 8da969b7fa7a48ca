"""The in-process implementation of the EventBus port: run events fanned out to asyncio queues.

Topics are ``run:<run_id>`` and ``workflow:<workflow_id>``; an event goes to both, and
a subscriber of both gets it once. Each subscription belongs to the event loop it was
made on; :meth:`InProcessEventBus.publish` may be called from that loop's thread
(delivery is immediate) or from any other thread (delivery is handed to the loop with
``call_soon_threadsafe``). Events from one thread arrive in the order published.

A subscription buffers at most ``max_queue`` events. A subscriber that falls that far
behind is closed and marked ``overflowed`` instead of slowing the publisher or growing
without bound: it has lost events, so the WebSocket layer tells its client to resync
over HTTP (the run store has every event).

Example::

    bus = InProcessEventBus()
    with bus.subscribe([f"run:{run_id}"]) as subscription:
        async for event in subscription:
            await websocket.send_json(event.to_json())
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from typing import TYPE_CHECKING

from orcheo_core.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Collection
    from types import TracebackType

    from functions.backends.ports import EventRecord

__all__ = ["DEFAULT_MAX_QUEUE", "InProcessEventBus", "InProcessSubscription"]

DEFAULT_MAX_QUEUE = 10_000
_TOPIC_PREFIXES = ("run:", "workflow:")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class InProcessSubscription:
    """Events for some topics, in publication order; iterate it or call :meth:`get`.

    Closing it (or an overflow, which sets ``overflowed``) ends iteration at once:
    events still buffered are dropped.
    """

    def __init__(
        self,
        bus: InProcessEventBus,
        topics: tuple[str, ...],
        loop: asyncio.AbstractEventLoop,
        max_queue: int,
    ) -> None:
        self.topics = topics
        self.overflowed = False
        self._bus = bus
        self._loop = loop
        self._max_queue = max_queue
        self._events: deque[EventRecord] = deque()
        self._ready = asyncio.Event()  # set while an event is buffered or once closed
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once closed by :meth:`close` or by an overflow."""
        return self._closed

    def __aiter__(self) -> InProcessSubscription:
        return self

    async def __anext__(self) -> EventRecord:
        event = await self.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def get(self, timeout: float | None = None) -> EventRecord | None:
        """The next event, or None on timeout or once closed."""
        deadline = None if timeout is None else self._loop.time() + timeout
        while not self._closed:
            if self._events:
                return self._events.popleft()
            self._ready.clear()
            remaining = None if deadline is None else deadline - self._loop.time()
            if remaining is not None and remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._ready.wait(), remaining)
            except TimeoutError:
                return None
        return None

    def close(self) -> None:
        """Stop receiving; a pending or later :meth:`get` returns None. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._events.clear()
        self._bus._unsubscribe(self)
        if _running_loop() is self._loop:
            self._ready.set()
        else:  # asyncio.Event is not thread-safe: wake the waiter on its own loop
            with contextlib.suppress(RuntimeError):  # that loop is already closed
                self._loop.call_soon_threadsafe(self._ready.set)

    def __enter__(self) -> InProcessSubscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _deliver(self, event: EventRecord) -> None:
        """Buffer ``event``; runs on this subscription's loop thread only."""
        if self._closed:
            return
        if len(self._events) >= self._max_queue:
            self.overflowed = True
            self.close()
            return
        self._events.append(event)
        self._ready.set()


class InProcessEventBus:
    """Fan-out of run events to subscribers in this process (see the module docstring)."""

    def __init__(self, max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        if max_queue < 1:
            raise ConfigError(f"max_queue must be >= 1, not {max_queue}", field="max_queue")
        self._max_queue = max_queue
        # topic -> subscriptions. Tuples are replaced, never mutated, under the lock, so
        # publish reads them from any thread without locking.
        self._topics: dict[str, tuple[InProcessSubscription, ...]] = {}
        self._lock = threading.Lock()

    def publish(self, event: EventRecord) -> None:
        """Deliver to subscribers of ``run:<run_id>`` and ``workflow:<workflow_id>``.

        Never blocks; with no subscribers at all it returns at once (it runs for every
        event of every run).
        """
        topics = self._topics
        if not topics:
            return
        by_run = topics.get("run:" + event.run_id, ())
        by_workflow = topics.get("workflow:" + event.workflow_id, ()) if event.workflow_id else ()
        if not by_run and not by_workflow:
            return
        # dict.fromkeys: one delivery per subscriber, in a stable order.
        subscribers = (
            dict.fromkeys(by_run + by_workflow)
            if by_run and by_workflow
            else (by_run or by_workflow)
        )
        running = _running_loop()
        for subscription in subscribers:
            if subscription._loop is running:
                subscription._deliver(event)
            else:
                try:
                    subscription._loop.call_soon_threadsafe(subscription._deliver, event)
                except RuntimeError:  # its loop is closed: nobody can read it any more
                    subscription.close()

    def subscribe(self, topics: Collection[str]) -> InProcessSubscription:
        """A subscription to ``topics`` (``run:<id>`` / ``workflow:<id>``), bound to this loop.

        Call it from a coroutine: the running loop is where events will be delivered.
        ConfigError for an empty or unknown topic.
        """
        wanted = tuple(dict.fromkeys([topics] if isinstance(topics, str) else topics))
        if not wanted:
            raise ConfigError("subscribe to at least one topic", field="topics")
        for topic in wanted:
            if not topic.startswith(_TOPIC_PREFIXES) or topic in _TOPIC_PREFIXES:
                raise ConfigError(
                    f"unknown topic {topic!r}: use 'run:<run_id>' or 'workflow:<workflow_id>'",
                    field="topics",
                    value=topic,
                )
        loop = _running_loop()
        if loop is None:
            raise RuntimeError("InProcessEventBus.subscribe must be called inside an event loop")
        subscription = InProcessSubscription(self, wanted, loop, self._max_queue)
        with self._lock:
            topics_now = dict(self._topics)
            for topic in wanted:
                topics_now[topic] = (*topics_now.get(topic, ()), subscription)
            self._topics = topics_now
        return subscription

    def subscriber_count(self, topic: str) -> int:
        """How many open subscriptions listen to ``topic``."""
        return len(self._topics.get(topic, ()))

    def _unsubscribe(self, subscription: InProcessSubscription) -> None:
        with self._lock:
            topics_now = dict(self._topics)
            for topic in subscription.topics:
                rest = tuple(s for s in topics_now.get(topic, ()) if s is not subscription)
                if rest:
                    topics_now[topic] = rest
                else:
                    topics_now.pop(topic, None)
            self._topics = topics_now


if TYPE_CHECKING:  # mypy checks that the classes implement the ports
    from functions.backends.ports import EventBus, Subscription

    _bus_conforms: type[EventBus] = InProcessEventBus
    _subscription_conforms: type[Subscription] = InProcessSubscription
