"""State passed by reference between Step Functions states, in the stack's S3 bucket.

A Task whose state (or result, or a branch's writes) is larger than the definition's
``state_ref_threshold`` stores it here and passes ``{"$ref": {"bucket", "key"}}``
instead (Step Functions carries at most 256 KB). Keys are
``runs/<run_id>/<kind>/<n>.json`` (docs/compiler.md); the bucket's lifecycle rule, not
this class, removes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orcheo_core.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["S3StateStore"]


class S3StateStore:
    """The :class:`~orcheo_core.compile.runtime.StateStore` on S3 (``ORCHEO_STATE_BUCKET``)."""

    def __init__(self, bucket: str, *, client: Any = None, region: str | None = None) -> None:
        if not bucket:
            raise ConfigError(
                "state passed by reference needs the stack's S3 bucket: set ORCHEO_STATE_BUCKET",
                field="state_bucket",
            )
        self.bucket = bucket
        self._client = client
        self._region = region

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3", region_name=self._region)
        return self._client

    def put(self, key: str, data: bytes) -> dict[str, Any]:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType="application/json"
        )
        return {"bucket": self.bucket, "key": key}

    def get(self, ref: Mapping[str, Any]) -> bytes:
        bucket = str(ref.get("bucket") or self.bucket)
        if bucket != self.bucket:
            # A reference names its bucket; reading another one would let a crafted
            # payload make the runner fetch objects it was never meant to.
            raise ConfigError(
                f"state reference names bucket {bucket!r}, not this stack's {self.bucket!r}",
                field="state_bucket",
            )
        body: bytes = self.client.get_object(Bucket=bucket, Key=str(ref["key"]))["Body"].read()
        return body
