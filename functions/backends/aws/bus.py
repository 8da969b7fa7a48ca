"""The event bus on AWS: the run-events table is the bus, its stream the delivery.

Publishing an event is storing it: :meth:`DynamoEventBus.publish` puts it into the
run-events table unless the run store already did (the engine does both, and an event
is never overwritten), and DynamoDB's stream carries every new event from there.

Two consumers read that stream:

- **The telemetry Lambda** (on AWS): its event source mapping hands it batches of
  stream records; :meth:`TelemetryPusher.handle_stream` posts each event to the API
  Gateway WebSocket connections subscribed to its run or workflow (the connections
  table, :class:`WebSocketConnections`), and forgets a connection that is gone.
- **In-process subscribers** (:meth:`DynamoEventBus.subscribe`, the port's contract):
  asyncio subscriptions exactly as the local bus has (same topics, order, overflow).
  An event this process publishes is handed to them at once; events other processes
  store reach them through a :class:`StreamFollower`, which reads the stream from
  where the first subscription started, before each new subscription and whenever
  :meth:`DynamoEventBus.pump` runs (:meth:`DynamoEventBus.follow` runs it on a timer).
  Each run's events are delivered once, in seq order, whichever way they came.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError

from functions.backends.aws._codec import dumps
from functions.backends.aws._dynamo import condition_failed, to_ttl
from functions.backends.aws.models import ConnectionItem, EventItem
from functions.backends.local.bus import DEFAULT_MAX_QUEUE, InProcessEventBus
from functions.backends.ports import EventRecord

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

    from functions.backends.ports import Subscription
    from functions.settings import AwsSettings

__all__ = [
    "DynamoEventBus",
    "StreamFollower",
    "TelemetryPusher",
    "WebSocketConnections",
    "event_from_image",
    "telemetry_pusher",
    "topics_of",
]

logger = logging.getLogger(__name__)

# How many runs the bus remembers the last delivered seq of (the least recent go first).
_REMEMBERED_RUNS = 10_000


def topics_of(event: EventRecord) -> tuple[str, str]:
    """The two topics an event is delivered to."""
    return f"run:{event.run_id}", f"workflow:{event.workflow_id}"


def event_from_image(image: Mapping[str, Any]) -> EventRecord:
    """The event in a stream record's ``NewImage`` (DynamoDB's attribute-value JSON)."""
    item = EventItem.from_raw_data(dict(image))
    return EventRecord(
        run_id=item.run_id,
        seq=int(item.seq),
        type=item.type,
        workflow_id=item.workflow_id,
        node=item.node,
        attempt=None if item.attempt is None else int(item.attempt),
        data=json.loads(item.data),
        ts=item.ts,
    )


def _inserted(records: Iterable[Mapping[str, Any]]) -> list[EventRecord]:
    """The new events among stream records (events are only ever inserted)."""
    return [
        event_from_image(record["dynamodb"]["NewImage"])
        for record in records
        if record.get("eventName") == "INSERT" and "NewImage" in record.get("dynamodb", {})
    ]


# ---------------------------------------------------------------------------- in-process


class StreamFollower:
    """Reads the run-events table's stream from the moment it starts, shard by shard.

    Records come in stream order within a shard (per run, the order they were
    written). A closed shard's children are picked up from their first record.
    """

    def __init__(self, client: Any, stream_arn: str) -> None:
        self._client = client
        self._arn = stream_arn
        self._iterators: dict[str, str | None] = {}
        self._done: set[str] = set()
        for shard in self._shards():
            self._iterators[shard["ShardId"]] = self._iterator(shard["ShardId"], "LATEST")

    def _shards(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        start: dict[str, str] = {}
        while True:
            page = self._client.describe_stream(StreamArn=self._arn, **start)["StreamDescription"]
            shards.extend(page.get("Shards", []))
            last = page.get("LastEvaluatedShardId")
            if not last:
                return shards
            start = {"ExclusiveStartShardId": last}

    def _iterator(self, shard_id: str, kind: str) -> str | None:
        answer = self._client.get_shard_iterator(
            StreamArn=self._arn, ShardId=shard_id, ShardIteratorType=kind
        )
        iterator: str | None = answer.get("ShardIterator")
        return iterator

    def read(self) -> list[EventRecord]:
        """Every event stored since the last read (or since this follower started)."""
        events: list[EventRecord] = []
        closed = False
        for shard_id, iterator in list(self._iterators.items()):
            while iterator is not None:
                answer = self._client.get_records(ShardIterator=iterator, Limit=1000)
                events.extend(_inserted(answer.get("Records", [])))
                iterator = answer.get("NextShardIterator")
                if not answer.get("Records"):
                    break
            self._iterators[shard_id] = iterator
            if iterator is None:  # the shard was closed (split): its children take over
                del self._iterators[shard_id]
                self._done.add(shard_id)
                closed = True
        if closed:
            for shard in self._shards():
                shard_id = shard["ShardId"]
                if shard_id not in self._iterators and shard_id not in self._done:
                    self._iterators[shard_id] = self._iterator(shard_id, "TRIM_HORIZON")
            events.extend(self.read())
        return events


class DynamoEventBus:
    """The EventBus port on the run-events table and its stream (see the module docstring).

    ``streams_client`` is a boto3 ``dynamodbstreams`` client (default: one in
    ``region``). Subscriptions are :class:`~functions.backends.local.bus.InProcessSubscription`
    objects fed from the stream, so they behave as the local ones: subscribe inside a
    running event loop; a subscriber more than ``max_queue`` events behind is closed
    and marked ``overflowed``.
    """

    def __init__(
        self,
        *,
        max_queue: int = DEFAULT_MAX_QUEUE,
        streams_client: Any = None,
        region: str | None = None,
    ) -> None:
        self._local = InProcessEventBus(max_queue=max_queue)
        self._streams_client = streams_client
        self._region = region
        self._follower: StreamFollower | None = None
        self._lock = threading.Lock()
        # run id -> highest seq delivered: the stream re-reads events published here.
        self._delivered: OrderedDict[str, int] = OrderedDict()

    def publish(self, event: EventRecord) -> None:
        """Store ``event`` in the run-events table (unless stored already), then deliver."""
        item = EventItem(
            run_id=event.run_id,
            seq=event.seq,
            type=event.type,
            workflow_id=event.workflow_id,
            node=event.node,
            attempt=event.attempt,
            data=dumps(event.data),
            ts=event.ts,
        )
        try:
            item.save(condition=EventItem.seq.does_not_exist())
        except PutError as exc:
            if not condition_failed(exc):
                raise
            # Already stored by the run store: delivered here all the same.
        with self._lock:
            self._deliver((event,))

    def subscribe(self, topics: Collection[str]) -> Subscription:
        """Receive events stored from now on for ``topics`` (``run:<id>``, ``workflow:<id>``)."""
        with self._lock:
            if self._follower is None:
                self._follower = StreamFollower(self._client(), self._stream_arn())
            else:
                # Events stored before this subscription go to the earlier subscribers only.
                self._deliver(self._follower.read())
            return self._local.subscribe(topics)

    def pump(self) -> int:
        """Deliver what the stream holds since the last read; how many records it held."""
        with self._lock:
            if self._follower is None:
                return 0
            events = self._follower.read()
            self._deliver(events)
        return len(events)

    async def follow(self, stop: asyncio.Event, interval: float = 0.5) -> None:
        """Poll the stream every ``interval`` seconds until ``stop`` is set.

        Needed only for events stored by other processes (Lambdas): this process's own
        publishes are delivered at once.
        """
        while not stop.is_set():
            await asyncio.to_thread(self.pump)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    def _deliver(self, events: Iterable[EventRecord]) -> None:
        """Hand events to the subscriptions, skipping any of a run already delivered."""
        delivered = self._delivered
        for event in events:
            if event.seq <= delivered.get(event.run_id, 0):
                continue
            delivered[event.run_id] = event.seq
            delivered.move_to_end(event.run_id)
            if len(delivered) > _REMEMBERED_RUNS:
                delivered.popitem(last=False)
            self._local.publish(event)

    def _client(self) -> Any:
        if self._streams_client is None:
            import boto3
            from botocore.config import Config

            region = self._region or EventItem.Meta.region
            # The regional endpoint, not the account-based one botocore picks by default:
            # both serve the same API, and moto (the test AWS) routes only the former.
            config = Config(account_id_endpoint_mode="disabled")
            self._streams_client = boto3.client(
                "dynamodbstreams", region_name=region, config=config
            )
        return self._streams_client

    @staticmethod
    def _stream_arn() -> str:
        table: dict[str, Any] = EventItem._get_connection().describe_table()
        arn = table.get("LatestStreamArn")
        if not arn:
            from orcheo_core.errors import ConfigError

            raise ConfigError(
                f"table {EventItem.Meta.table_name!r} has no stream: enable one with "
                "StreamViewType NEW_IMAGE (docs/aws-backend.md)",
                table=EventItem.Meta.table_name,
            )
        return str(arn)


# ---------------------------------------------------------------------------- WebSocket push


class WebSocketConnections:
    """Which API Gateway WebSocket connection listens to which topics (the connections table).

    One item per (connection, topic); the ``by_topic`` index answers "who listens to
    this run?". Items carry a TTL (``max_age`` seconds, API Gateway's two-hour
    connection limit by default) so a connection whose ``$disconnect`` never came
    disappears anyway.
    """

    def __init__(self, *, max_age: float = 2 * 3600.0, clock: Any = time.time) -> None:
        self._max_age = max_age
        self._clock = clock

    def subscribe(self, connection_id: str, topics: Collection[str]) -> None:
        """Add ``topics`` to the connection's subscriptions (``$connect`` / ``$default``)."""
        now = self._clock()
        with ConnectionItem.batch_write() as batch:
            for topic in topics:
                batch.save(
                    ConnectionItem(
                        connection_id=connection_id,
                        topic=topic,
                        connected_at=now,
                        ttl=to_ttl(now + self._max_age),
                    )
                )

    def unsubscribe(self, connection_id: str, topics: Collection[str] | None = None) -> None:
        """Forget the connection's ``topics`` (all of them: ``$disconnect``, or a post
        that found it gone)."""
        with ConnectionItem.batch_write() as batch:
            for item in ConnectionItem.query(connection_id, consistent_read=True):
                if topics is None or item.topic in topics:
                    batch.delete(item)

    def topics(self, connection_id: str) -> list[str]:
        """The connection's topics, sorted."""
        now = self._clock()
        items = ConnectionItem.query(connection_id, consistent_read=True)
        return sorted(item.topic for item in items if _alive(item, now))

    def listeners(self, topics: Iterable[str]) -> list[str]:
        """The connections subscribed to any of ``topics``, each once, sorted."""
        now = self._clock()
        found = {
            item.connection_id
            for topic in topics
            for item in ConnectionItem.by_topic.query(topic)
            if _alive(item, now)
        }
        return sorted(found)


def _alive(item: ConnectionItem, now: float) -> bool:
    return item.ttl is None or item.ttl.timestamp() > now


class TelemetryPusher:
    """Posts run events to the WebSocket connections that listen to them.

    ``client`` is a boto3 ``apigatewaymanagementapi`` client on the WebSocket API's
    ``https://<api>.execute-api.<region>.amazonaws.com/<stage>`` endpoint. A post
    answered with ``GoneException`` (the client left without ``$disconnect``) removes
    the connection's subscriptions; other errors are logged and the push goes on.
    """

    def __init__(self, connections: WebSocketConnections, client: Any) -> None:
        self._connections = connections
        self._client = client

    def push(self, event: EventRecord) -> list[str]:
        """Post ``event`` (its JSON, one message) to each listener; the ids it reached."""
        data = json.dumps(event.to_json(), separators=(",", ":")).encode()
        reached = []
        for connection_id in self._connections.listeners(topics_of(event)):
            if self._post(connection_id, data):
                reached.append(connection_id)
        return reached

    def post(self, connection_id: str, event: EventRecord) -> bool:
        """Post one event to one connection (a subscriber catching up); False if gone."""
        return self._post(
            connection_id, json.dumps(event.to_json(), separators=(",", ":")).encode()
        )

    def _post(self, connection_id: str, data: bytes) -> bool:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except self._client.exceptions.GoneException:
            logger.info("connection %s is gone; removing its subscriptions", connection_id)
            self._connections.unsubscribe(connection_id)
            return False
        except Exception:
            logger.exception("could not post to connection %s", connection_id)
            return False
        return True

    def handle_stream(self, records: Iterable[Mapping[str, Any]]) -> int:
        """The telemetry Lambda's work: push every event inserted in a stream batch.

        ``records`` is the ``Records`` list of a DynamoDB stream event. Returns how many
        posts reached a connection.
        """
        return sum(len(self.push(event)) for event in _inserted(records))


def telemetry_pusher(settings: AwsSettings) -> TelemetryPusher:
    """The telemetry Lambda's pusher: posts to ``settings.websocket_callback_url``."""
    if not settings.websocket_callback_url.startswith("https://"):
        from orcheo_core.errors import ConfigError

        raise ConfigError(
            "the telemetry push needs the WebSocket API's stage URL: set "
            "ORCHEO_WEBSOCKET_CALLBACK_URL to https://<api>.execute-api.<region>.amazonaws.com/<stage>",
            field="websocket_callback_url",
        )
    import boto3

    client = boto3.client(
        "apigatewaymanagementapi",
        region_name=settings.region,
        endpoint_url=settings.websocket_callback_url,
    )
    return TelemetryPusher(WebSocketConnections(), client)
