"""The vault on KMS: credentials are stored as ciphertext only, bound to id and scope.

The AWS Encryption SDK's KMS keyring (Material Providers Library) runs unchanged
against moto's KMS: GenerateDataKey on encrypt, Decrypt on decrypt, both with the
encryption context, which moto's KMS checks as AWS does.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_encryption_sdk.internal.formatting.deserialize import deserialize_header
from botocore.exceptions import ClientError

from aws.moto_env import REGION, moto_tables
from functions.backends.aws import DynamoCredentialStore
from functions.backends.aws.vault import kms_vault
from functions.backends.ports import CredentialRecord
from functions.settings import AwsSettings
from orcheo_core.vault import (
    CredentialContextMismatchError,
    CredentialDecryptError,
    Vault,
    encryption_context,
)

SECRET = "sk-live-0123456789abcdefDEADBEEF"


@dataclass
class Env:
    settings: AwsSettings
    kms: Any
    vault: Vault
    store: DynamoCredentialStore


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    # One moto for the module: building the KMS keyring loads the MPL (about a second).
    with moto_tables() as base:
        kms = boto3.client("kms", region_name=REGION)
        key_arn = kms.create_key(Description="orcheo vault")["KeyMetadata"]["Arn"]
        settings = AwsSettings(**{**vars(base), "kms_key_arn": key_arn})
        yield Env(settings, kms, kms_vault(settings), DynamoCredentialStore())


def store_secret(env: Env, credential_id: str, scope: str = "global") -> CredentialRecord:
    ciphertext = env.vault.encrypt({"api_key": SECRET}, credential_id=credential_id, scope=scope)
    return env.store.create_credential(
        CredentialRecord(
            id=credential_id,
            name=f"OpenAI {credential_id}",
            type="api_key",
            ciphertext=ciphertext,
            preview="sk-…BEEF",
            scope=scope,
            created_at=1.0,
            updated_at=1.0,
        )
    )


def raw_table_text(settings: AwsSettings) -> str:
    """Every stored item as DynamoDB returns it, binary values decoded every likely way."""
    client = boto3.client("dynamodb", region_name=REGION)
    items = client.scan(TableName=settings.tables.credentials, ConsistentRead=True)["Items"]
    parts = [json.dumps(items, default=lambda b: base64.b64encode(b).decode())]
    for item in items:
        for value in item.values():
            if "B" in value:
                parts.append(value["B"].decode("latin-1"))
    return "\n".join(parts)


def test_the_credentials_table_holds_no_plaintext(env: Env) -> None:
    stored = store_secret(env, "cred-plain")
    text = raw_table_text(env.settings)
    assert "cred-plain" in text  # the item is there ...
    for form in (SECRET, base64.b64encode(SECRET.encode()).decode(), SECRET[8:24]):
        assert form not in text  # ... and no form of the secret is
    assert env.vault.decrypt(stored.ciphertext, credential_id="cred-plain", scope="global") == {
        "api_key": SECRET
    }


@pytest.mark.parametrize(
    ("credential_id", "scope"),
    [("cred-other", "global"), ("cred-ctx", "workflow:wf1")],
    ids=["another credential", "another scope"],
)
def test_decryption_fails_when_the_encryption_context_changes(
    env: Env, credential_id: str, scope: str
) -> None:
    stored = env.store.find_credential("OpenAI cred-ctx") or store_secret(env, "cred-ctx")
    with pytest.raises(CredentialContextMismatchError):
        env.vault.decrypt(stored.ciphertext, credential_id=credential_id, scope=scope)


def test_kms_itself_refuses_the_data_key_under_another_context(env: Env) -> None:
    # Beneath the SDK's own check: the data key was wrapped by KMS with the context as
    # authenticated data, so even a direct KMS Decrypt needs the original context.
    stored = env.store.find_credential("OpenAI cred-kms") or store_secret(env, "cred-kms")
    header, _ = deserialize_header(io.BytesIO(stored.ciphertext))
    (data_key,) = header.encrypted_data_keys
    assert data_key.key_provider.key_info.decode() == env.settings.kms_key_arn
    wrapped = data_key.encrypted_data_key
    original = encryption_context("cred-kms", "global")
    assert dict(header.encryption_context) == original
    unwrapped = env.kms.decrypt(
        CiphertextBlob=wrapped, KeyId=env.settings.kms_key_arn, EncryptionContext=original
    )
    assert len(unwrapped["Plaintext"]) == 32
    changed = {**original, "orcheo:credential_id": "cred-other"}
    with pytest.raises(ClientError, match="InvalidCiphertext"):
        env.kms.decrypt(
            CiphertextBlob=wrapped, KeyId=env.settings.kms_key_arn, EncryptionContext=changed
        )


def test_a_secret_sealed_under_another_kms_key_does_not_decrypt(env: Env) -> None:
    stored = env.store.find_credential("OpenAI cred-key") or store_secret(env, "cred-key")
    other_key = env.kms.create_key()["KeyMetadata"]["Arn"]
    other = kms_vault(AwsSettings(**{**vars(env.settings), "kms_key_arn": other_key}))
    with pytest.raises(CredentialDecryptError):
        other.decrypt(stored.ciphertext, credential_id="cred-key", scope="global")
