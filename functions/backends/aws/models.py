"""The DynamoDB tables of the AWS backend, as pynamodb models, and their definitions.

One table per concern (see docs/aws-backend.md for why, and for every key and index):

================  ==============================  =====================================
table             key                             items
================  ==============================  =====================================
workflows         ``pk`` (workflow id) + ``sk``   the workflow (``sk = "workflow"``) and
                                                  its versions (``sk = "v#0000000001"``)
runs              ``id``                          one run
run-events        ``run_id`` + ``seq``            one event; the stream feeds telemetry
credentials       ``pk``                          ``cred#<id>`` and a ``name#<name>`` claim
connections       ``connection_id`` + ``topic``   one WebSocket subscription
tokens            ``pk``                          ``token#<id>`` and a ``hash#<sha256>`` claim
trigger-state     ``key``                         a lock, cursor, counter or nonce
idempotency       ``id``                          Powertools' idempotency records
================  ==============================  =====================================

Models are module-level classes, as pynamodb wants; :func:`bind` points them at the
tables, region and endpoint of one deployment (a Lambda does it once at start). The
names here are placeholders until then. :func:`table_definitions` describes every
table (keys, indexes, TTL, stream) from the models, for the stack to be checked
against.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from functions.settings import TableNames

if TYPE_CHECKING:
    from functions.settings import AwsSettings

__all__ = [
    "ConnectionItem",
    "CredentialItem",
    "CredentialNameItem",
    "EventItem",
    "GsiDefinition",
    "RunItem",
    "TableDefinition",
    "TokenHashItem",
    "TokenItem",
    "TriggerStateItem",
    "VersionItem",
    "WorkflowItem",
    "WorkflowTableItem",
    "all_models",
    "bind",
    "create_tables",
    "delete_tables",
    "table_definitions",
]

_PLACEHOLDER = TableNames()
# The idempotency table is Powertools' (no model here); bind() records its name.
_IDEMPOTENCY_NAME: list[str] = [_PLACEHOLDER.idempotency]


class _Meta:
    table_name: str
    region = "us-east-1"
    host: str | None = None
    billing_mode = "PAY_PER_REQUEST"


# ---------------------------------------------------------------------------- workflows


class _ByCreated(GlobalSecondaryIndex["WorkflowItem"]):
    """All workflows, newest first: a constant partition, sorted by ``created_at`` then id."""

    class Meta:
        index_name = "by_created"
        projection = AllProjection()

    list_pk = UnicodeAttribute(hash_key=True)
    list_sk = UnicodeAttribute(range_key=True)


class WorkflowTableItem(Model):
    """An item of the workflows table: a workflow or one of its versions."""

    class Meta(_Meta):
        table_name = _PLACEHOLDER.workflows

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()


class WorkflowItem(WorkflowTableItem, discriminator="workflow"):
    """A workflow (``sk = "workflow"``); ``revision`` is its optimistic-concurrency version."""

    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    current_version = NumberAttribute(null=True)
    latest_version = NumberAttribute(default=0)
    archived = BooleanAttribute(default=False)
    revision = NumberAttribute(default=1)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    search = UnicodeAttribute(default="")
    """Name, description and tags, casefolded: what ``query`` is matched against."""
    list_pk = UnicodeAttribute(default="workflow")
    list_sk = UnicodeAttribute()
    by_created = _ByCreated()


class VersionItem(WorkflowTableItem, discriminator="version"):
    """One immutable version (``sk = "v#<number, 10 digits>"``)."""

    number = NumberAttribute()
    version_kind = UnicodeAttribute(default="spec")
    spec = UnicodeAttribute()
    """JSON text: exact numbers, and no DynamoDB type mapping of nested values."""
    source = UnicodeAttribute(null=True)
    note = UnicodeAttribute(default="")
    created_at = NumberAttribute()


# ---------------------------------------------------------------------------- runs


class _RunsByWorkflow(GlobalSecondaryIndex["RunItem"]):
    class Meta:
        index_name = "by_workflow"
        projection = AllProjection()

    workflow_id = UnicodeAttribute(hash_key=True)
    list_sk = UnicodeAttribute(range_key=True)


class _RunsByStatus(GlobalSecondaryIndex["RunItem"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    list_sk = UnicodeAttribute(range_key=True)


class _RunsByCreated(GlobalSecondaryIndex["RunItem"]):
    class Meta:
        index_name = "by_created"
        projection = AllProjection()

    list_pk = UnicodeAttribute(hash_key=True)
    list_sk = UnicodeAttribute(range_key=True)


class RunItem(Model):
    """One run. ``expires_at`` (TTL) is ``created_at`` + the retention, when one is set."""

    class Meta(_Meta):
        table_name = _PLACEHOLDER.runs

    id = UnicodeAttribute(hash_key=True)
    workflow_id = UnicodeAttribute()
    version = NumberAttribute()
    status = UnicodeAttribute()
    inputs = UnicodeAttribute(default="{}")
    state = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    debug = BooleanAttribute(default=False)
    trigger = UnicodeAttribute(default="manual")
    replay_of = UnicodeAttribute(null=True)
    resumed_from_step = NumberAttribute(null=True)
    batch_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    started_at = NumberAttribute(null=True)
    finished_at = NumberAttribute(null=True)
    duration = NumberAttribute(null=True)
    last_seq = NumberAttribute(default=0)
    execution_arn = UnicodeAttribute(null=True)
    """The Step Functions execution running it (set by the engine)."""
    list_pk = UnicodeAttribute(default="run")
    list_sk = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)
    by_workflow = _RunsByWorkflow()
    by_status = _RunsByStatus()
    by_created = _RunsByCreated()


class EventItem(Model):
    """One run event; the table's stream (new images) drives the WebSocket telemetry push."""

    class Meta(_Meta):
        table_name = _PLACEHOLDER.run_events
        stream_view_type = "NEW_IMAGE"

    run_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    type = UnicodeAttribute()
    workflow_id = UnicodeAttribute(default="")
    node = UnicodeAttribute(null=True)
    attempt = NumberAttribute(null=True)
    data = UnicodeAttribute(default="{}")
    ts = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


# ---------------------------------------------------------------------------- credentials


class CredentialTableItem(Model):
    class Meta(_Meta):
        table_name = _PLACEHOLDER.credentials

    pk = UnicodeAttribute(hash_key=True)
    kind = DiscriminatorAttribute()


class CredentialItem(CredentialTableItem, discriminator="credential"):
    """A credential (``pk = "cred#<id>"``): ciphertext and metadata, never plaintext."""

    id = UnicodeAttribute()
    name = UnicodeAttribute()
    type = UnicodeAttribute()
    ciphertext = BinaryAttribute(legacy_encoding=False)
    preview = UnicodeAttribute(default="")
    scope = UnicodeAttribute(default="global")
    metadata = UnicodeAttribute(default="{}")
    revision = NumberAttribute(default=1)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


class CredentialNameItem(CredentialTableItem, discriminator="credential_name"):
    """Claims a name (``pk = "name#<name>"``): DynamoDB has no unique constraint but keys."""

    credential_id = UnicodeAttribute()


# ---------------------------------------------------------------------------- tokens


class TokenTableItem(Model):
    class Meta(_Meta):
        table_name = _PLACEHOLDER.tokens

    pk = UnicodeAttribute(hash_key=True)
    kind = DiscriminatorAttribute()


class TokenItem(TokenTableItem, discriminator="token"):
    """An API token (``pk = "token#<id>"``); only the SHA-256 of its secret is stored."""

    id = UnicodeAttribute()
    name = UnicodeAttribute()
    hash = UnicodeAttribute()
    scopes = ListAttribute(of=UnicodeAttribute, default=list)
    prefix = UnicodeAttribute(default="")
    created_at = NumberAttribute()
    last_used_at = NumberAttribute(null=True)
    revoked_at = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)


class TokenHashItem(TokenTableItem, discriminator="token_hash"):
    """Claims a hash (``pk = "hash#<sha256>"``): unique, and found by a consistent get."""

    token_id = UnicodeAttribute()


# ---------------------------------------------------------------------------- trigger state


class TriggerStateItem(Model):
    """A lock, cursor, counter or nonce (``key = "<kind>#<key>"``).

    ``expires_at`` is the exact expiry the reads compare with; ``ttl`` (whole seconds,
    a little later) lets DynamoDB delete the item eventually.
    """

    class Meta(_Meta):
        table_name = _PLACEHOLDER.trigger_state

    key = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute(null=True)
    value = UnicodeAttribute(null=True)
    tally = NumberAttribute(null=True)
    """A counter's value (not ``count``: that is a Model method)."""
    expires_at = NumberAttribute(null=True)
    ttl = TTLAttribute(null=True)


# ---------------------------------------------------------------------------- connections


class _ConnectionsByTopic(GlobalSecondaryIndex["ConnectionItem"]):
    """Who listens to a topic: what the telemetry push looks up for each event."""

    class Meta:
        index_name = "by_topic"
        projection = AllProjection()

    topic = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)


class ConnectionItem(Model):
    """A WebSocket connection's subscription to one topic (``run:<id>``, ``workflow:<id>``)."""

    class Meta(_Meta):
        table_name = _PLACEHOLDER.connections

    connection_id = UnicodeAttribute(hash_key=True)
    topic = UnicodeAttribute(range_key=True)
    connected_at = NumberAttribute(default=0)
    ttl = TTLAttribute(null=True)
    by_topic = _ConnectionsByTopic()


# ---------------------------------------------------------------------------- binding

_MODELS: dict[str, type[Model]] = {
    "workflows": WorkflowTableItem,
    "runs": RunItem,
    "run_events": EventItem,
    "credentials": CredentialTableItem,
    "connections": ConnectionItem,
    "tokens": TokenTableItem,
    "trigger_state": TriggerStateItem,
}
_SUBCLASSES: tuple[type[Model], ...] = (
    WorkflowItem,
    VersionItem,
    CredentialItem,
    CredentialNameItem,
    TokenItem,
    TokenHashItem,
)


def all_models() -> dict[str, type[Model]]:
    """The model of each table that pynamodb owns, by :class:`TableNames` field."""
    return dict(_MODELS)


def _share_botocore_loader() -> None:
    """Let every botocore session pynamodb opens share one service-model loader.

    pynamodb opens a botocore session per model and thread, and each session loads the
    DynamoDB service model from disk again (about 150 ms): a second on a cold start
    with seven models. Sessions sharing one loader parse it once. The loader only
    caches immutable data, so sharing it across threads is safe.
    """
    import botocore.session
    import pynamodb.connection.base as connection_base
    from botocore.loaders import create_loader

    if getattr(connection_base.get_session, "_orcheo_shared", False):  # type: ignore[attr-defined]
        return
    loader = create_loader()

    def get_session() -> botocore.session.Session:
        session = botocore.session.get_session()
        session.register_component("data_loader", loader)
        return session

    get_session._orcheo_shared = True  # type: ignore[attr-defined]
    connection_base.get_session = get_session  # type: ignore[attr-defined]


def bind(settings: AwsSettings) -> None:
    """Point every model at ``settings``' tables, region and endpoint.

    Call once per process before using a store (the stores read the models, not the
    settings). Rebinding drops the cached connections, so the next call uses the new
    tables.
    """
    _share_botocore_loader()
    moved = False
    for field_name, model in _MODELS.items():
        meta: Any = model.Meta
        moved |= (meta.region, meta.host) != (settings.region, settings.endpoint_url)
        meta.table_name = getattr(settings.tables, field_name)
        meta.region = settings.region
        meta.host = settings.endpoint_url
    if moved:
        # pynamodb notices a new table name itself, but not a new region or endpoint.
        for model in (*_MODELS.values(), *_SUBCLASSES):
            model._connection = None
    _IDEMPOTENCY_NAME[0] = settings.tables.idempotency


# ---------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class GsiDefinition:
    """A global secondary index: its keys (attribute, type ``S``/``N``/``B``), projection ALL."""

    name: str
    hash_key: tuple[str, str]
    range_key: tuple[str, str] | None = None


@dataclass(frozen=True)
class TableDefinition:
    """What the stack must create for one table (on-demand, KMS-encrypted, PITR)."""

    store: str
    table_name: str
    hash_key: tuple[str, str]
    range_key: tuple[str, str] | None = None
    indexes: tuple[GsiDefinition, ...] = ()
    ttl_attribute: str | None = None
    stream_view_type: str | None = None
    owner: str = "orcheo"
    """Who reads and writes it: ``orcheo`` (these models) or ``powertools`` (idempotency)."""


def _keys(schema: list[dict[str, Any]], types: dict[str, str]) -> tuple[Any, Any]:
    hash_key = range_key = None
    for key in schema:
        pair = (key["AttributeName"], types[key["AttributeName"]])
        if key["KeyType"] == "HASH":
            hash_key = pair
        else:
            range_key = pair
    return hash_key, range_key


def _definition(store: str, model: type[Model]) -> TableDefinition:
    schema: Any = model._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    hash_key, range_key = _keys(schema["key_schema"], types)
    indexes = tuple(
        GsiDefinition(index["index_name"], *_keys(index["key_schema"], types))
        for index in sorted(schema["global_secondary_indexes"], key=lambda i: i["index_name"])
    )
    ttl = model._ttl_attribute()
    return TableDefinition(
        store=store,
        table_name=model.Meta.table_name,
        hash_key=hash_key,
        range_key=range_key,
        indexes=indexes,
        ttl_attribute=None if ttl is None else ttl.attr_name,
        stream_view_type=getattr(model.Meta, "stream_view_type", None),
    )


def table_definitions(tables: TableNames | None = None) -> list[TableDefinition]:
    """Every table the AWS backend needs, described from the models (for CDK and its tests).

    ``tables`` names them (default: the names :func:`bind` set). The idempotency table
    belongs to Powertools' DynamoDB persistence layer, whose default layout it follows.
    """
    definitions = [_definition(store, model) for store, model in _MODELS.items()]
    if tables is not None:
        definitions = [replace(d, table_name=getattr(tables, d.store)) for d in definitions]
    idempotency = (tables or _bound_names()).idempotency
    definitions.append(
        TableDefinition(
            store="idempotency",
            table_name=idempotency,
            hash_key=("id", "S"),
            ttl_attribute="expiration",
            owner="powertools",
        )
    )
    order = list(vars(TableNames()))
    return sorted(definitions, key=lambda d: order.index(d.store))


def _bound_names() -> TableNames:
    names = {store: model.Meta.table_name for store, model in _MODELS.items()}
    return TableNames(**names, idempotency=_IDEMPOTENCY_NAME[0])


def create_tables() -> None:
    """Create every bound table that does not exist yet (tests and local emulation only:
    on AWS the stack creates them)."""
    for model in _MODELS.values():
        model.create_table(wait=False)


def delete_tables() -> None:
    """Delete every bound table (tests only)."""
    for model in _MODELS.values():
        if model.exists():
            model.delete_table()
