"""Data: the customer-managed KMS key, the DynamoDB tables and the state bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.names import TABLES

if TYPE_CHECKING:
    from infra.names import TableSpec

__all__ = ["DataConstruct"]

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _attribute(key: tuple[str, str]) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key[0], type=_TYPES[key[1]])


class DataConstruct(Construct):
    """Everything that holds the owner's data, encrypted with one rotating CMK.

    ``tables`` maps each store of ``infra.names.TABLES`` to its table, named
    ``<prefix><store>`` (what ``ORCHEO_TABLE_PREFIX`` tells the code). Every table is
    on-demand, encrypted with the key and has point-in-time recovery; TTL and streams
    follow the table's spec. ``state_bucket`` holds state passed by reference and
    run artifacts (KMS-encrypted, TLS only, expired after the run retention).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        prefix: str,
        removal_policy: RemovalPolicy,
        state_expiry_days: int | None,
    ) -> None:
        super().__init__(scope, id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Orcheo ({prefix}*): tables, state bucket, queues, vault envelopes",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.tables: dict[str, dynamodb.Table] = {
            spec.store: self._table(spec, prefix, removal_policy) for spec in TABLES
        }
        self.state_bucket = s3.Bucket(
            self,
            "StateBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal_policy,
            auto_delete_objects=removal_policy == RemovalPolicy.DESTROY,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-run-state",
                    prefix="runs/",
                    expiration=Duration.days(state_expiry_days or 365),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )

    def _table(self, spec: TableSpec, prefix: str, removal_policy: RemovalPolicy) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            "".join(part.title() for part in spec.store.split("_")) + "Table",
            table_name=f"{prefix}{spec.suffix}",
            partition_key=_attribute(spec.hash_key),
            sort_key=None if spec.range_key is None else _attribute(spec.range_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=spec.ttl_attribute,
            stream=(
                None
                if spec.stream_view_type is None
                else dynamodb.StreamViewType(spec.stream_view_type)
            ),
            removal_policy=removal_policy,
            deletion_protection=False,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.hash_key),
                sort_key=None if index.range_key is None else _attribute(index.range_key),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def grant_tables(self, grantee: iam.IGrantable, read_write: str, read: str = "") -> None:
        """Grant item access on the named stores (space-separated) and their indexes.

        ``read_write`` stores get ``grant_read_write_data``, ``read`` ones
        ``grant_read_data``; both add the key's use for the table (and no other).
        """
        for store in read_write.split():
            self.tables[store].grant_read_write_data(grantee)
        for store in read.split():
            self.tables[store].grant_read_data(grantee)
