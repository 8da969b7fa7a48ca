"""The vault on AWS: the AWS Encryption SDK with a KMS keyring (one customer-managed key).

The same :class:`~orcheo_core.vault.Vault` as locally (same algorithm suite, commitment
policy and encryption context binding credential id and scope); only the keyring
differs: each secret's data key is generated and wrapped by KMS under the key in
``ORCHEO_KMS_KEY_ARN``, so neither the key nor an unwrapped data key is ever stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orcheo_core.vault import Vault

if TYPE_CHECKING:
    from functions.settings import AwsSettings

__all__ = ["kms_keyring", "kms_vault"]


def kms_keyring(key_arn: str, *, region: str | None = None, kms_client: Any = None) -> Any:
    """A Material Providers Library KMS keyring for ``key_arn`` (a key ARN, not an alias).

    ``kms_client`` defaults to a boto3 KMS client in ``region`` (or the key's region).
    Decrypt uses the same keyring: it only asks KMS to unwrap data keys wrapped by this
    key, so a message sealed under another key fails instead of calling that key.
    """
    if not key_arn:
        from orcheo_core.errors import ConfigError

        raise ConfigError(
            "the AWS vault needs a KMS key: set ORCHEO_KMS_KEY_ARN to the key's ARN",
            field="kms_key_arn",
        )
    import boto3
    from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
    from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
    from aws_cryptographic_material_providers.mpl.models import CreateAwsKmsKeyringInput

    if kms_client is None:
        arn_region = key_arn.split(":")[3] if key_arn.startswith("arn:") else None
        kms_client = boto3.client("kms", region_name=region or arn_region)
    providers = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
    return providers.create_aws_kms_keyring(
        input=CreateAwsKmsKeyringInput(kms_key_id=key_arn, kms_client=kms_client)
    )


def kms_vault(settings: AwsSettings, *, kms_client: Any = None) -> Vault:
    """The deployment's vault: :func:`kms_keyring` on ``settings.kms_key_arn``."""
    return Vault(kms_keyring(settings.kms_key_arn, region=settings.region, kms_client=kms_client))
