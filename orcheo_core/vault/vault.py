"""Encrypt and decrypt credential secrets with the AWS Encryption SDK.

The SDK is imported when the first :class:`Vault` is built, never at module import:
it loads boto3 and the Material Providers Library (about 1.5 s), which neither
``import orcheo_core`` nor a run without credentials should pay for.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from orcheo_core.vault.errors import (
    CredentialContextMismatchError,
    CredentialDecryptError,
    InvalidSecretError,
    VaultKeyError,
)
from orcheo_core.vault.keyfile import KEY_BYTES, load_or_create_key

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "CONTEXT_CREDENTIAL_ID",
    "CONTEXT_SCOPE",
    "LOCAL_KEY_NAME",
    "LOCAL_KEY_NAMESPACE",
    "MASK",
    "Vault",
    "encryption_context",
    "mask",
]

CONTEXT_CREDENTIAL_ID = "orcheo:credential_id"
"""Encryption-context key naming the credential a ciphertext belongs to."""
CONTEXT_SCOPE = "orcheo:scope"
"""Encryption-context key naming the credential's scope."""

LOCAL_KEY_NAMESPACE = "orcheo"
LOCAL_KEY_NAME = "local-aes-256"
"""The raw AES keyring's key namespace and name. They are written into every ciphertext
and must match on decrypt: changing them makes stored credentials unreadable."""

# One data key per message: one keyring (raw AES or one KMS key) wraps it. A small cap
# stops a forged message from making decrypt try thousands of wrapped keys (for KMS,
# thousands of API calls); 4 leaves room for a multi-keyring (e.g. a second region).
_MAX_ENCRYPTED_DATA_KEYS = 4
# Secrets are small; a forged message must not make decrypt buffer gigabytes.
_MAX_BODY_LENGTH = 1 << 20
# The SDK adds its own context keys with this prefix (the signing suites' public key).
_RESERVED_CONTEXT_PREFIX = "aws-crypto-"

MASK = "****"
"""The preview of a value too short to show any of it."""
_TAIL = 4
_MIN_HIDDEN = 12
_PREFIX = re.compile(r"[a-z]{2,4}[-_]")


def encryption_context(credential_id: str, scope: str) -> dict[str, str]:
    """The encryption context binding a ciphertext to one credential and scope."""
    if not isinstance(credential_id, str) or not credential_id:
        raise InvalidSecretError(
            "a credential id is needed to encrypt or decrypt its secret (got an empty or "
            "non-string id); pass the stored credential's `id`"
        )
    if not isinstance(scope, str) or not scope:
        raise InvalidSecretError(
            f"credential {credential_id!r} needs a non-empty scope to encrypt or decrypt "
            "its secret; pass the stored credential's `scope` (e.g. 'global')"
        )
    return {CONTEXT_CREDENTIAL_ID: credential_id, CONTEXT_SCOPE: scope}


def mask(value: str) -> str:
    """A preview of a secret value that is safe to show: ``sk-…abcd``, ``…abcd`` or ``****``.

    The last 4 characters are shown only when at least 12 stay hidden (16 characters or
    more), and a short lowercase type prefix such as ``sk-`` or ``ghp_`` only when 12
    still stay hidden after it. Anything shorter is ``****``.

    Example::

        mask("sk-proj-abcdefghijklmnop1234")  # 'sk-…1234'
        mask("hunter2")                       # '****'
    """
    if len(value) < _MIN_HIDDEN + _TAIL:
        return MASK
    match = _PREFIX.match(value)
    prefix = ""
    if match is not None and len(value) - match.end() - _TAIL >= _MIN_HIDDEN:
        prefix = match.group(0)
    return f"{prefix}…{value[-_TAIL:]}"


class Vault:
    """Seals credential secrets with the AWS Encryption SDK, bound to credential and scope.

    ``keyring`` wraps the per-message data keys: a Material Providers Library keyring
    (``Vault.local`` builds the raw AES-256 one; on AWS, pass a KMS keyring) or a legacy
    ``MasterKeyProvider``. Messages use the committing, unsigned algorithm suite
    ``AES_256_GCM_HKDF_SHA512_COMMIT_KEY`` under the commitment policy
    ``REQUIRE_ENCRYPT_REQUIRE_DECRYPT``.

    Example::

        vault = Vault.local(Path.home() / ".orcheo" / "vault.key")
        blob = vault.encrypt({"token": "sk-..."}, credential_id="cred_1", scope="global")
        vault.decrypt(blob, credential_id="cred_1", scope="global")  # {'token': 'sk-...'}
    """

    def __init__(self, keyring: object) -> None:
        import aws_encryption_sdk
        from aws_encryption_sdk.identifiers import AlgorithmSuite, CommitmentPolicy
        from aws_encryption_sdk.key_providers.base import MasterKeyProvider

        _quiet_sdk_close_errors()
        self._client: Any = aws_encryption_sdk.EncryptionSDKClient(
            commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
            max_encrypted_data_keys=_MAX_ENCRYPTED_DATA_KEYS,
        )
        # Committing (the ciphertext decrypts under one data key only) and unsigned:
        # encryptor and decryptor are the same trusted service, so an ECDSA signature
        # would guard against no one while costing a P-384 sign and verify per secret.
        self._algorithm: Any = AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
        self._key_args: dict[str, object]
        if isinstance(keyring, MasterKeyProvider):
            self._key_args = {"key_provider": keyring}
            # The SDK takes a context to check on decrypt from keyrings only; for a
            # provider, decrypt() compares the authenticated header's context itself.
            self._reproduce_context = False
        else:
            self._key_args = {"keyring": keyring}
            self._reproduce_context = True

    @classmethod
    def local(cls, key_path: Path) -> Vault:
        """The local vault: a raw AES-256 keyring whose key lives in ``key_path``.

        The key file is created (32 random bytes, mode 0600) on first use; see
        :func:`~orcheo_core.vault.keyfile.load_or_create_key`.
        """
        return cls.raw_aes(load_or_create_key(key_path))

    @classmethod
    def raw_aes(cls, key: bytes) -> Vault:
        """A vault on a raw AES-256-GCM keyring with this 32-byte wrapping key."""
        from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
        from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
        from aws_cryptographic_material_providers.mpl.models import (
            AesWrappingAlg,
            CreateRawAesKeyringInput,
        )

        if len(key) != KEY_BYTES:
            raise VaultKeyError(f"a raw AES-256 vault key is {KEY_BYTES} bytes, not {len(key)}")
        providers = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
        keyring = providers.create_raw_aes_keyring(
            input=CreateRawAesKeyringInput(
                key_namespace=LOCAL_KEY_NAMESPACE,
                key_name=LOCAL_KEY_NAME,
                wrapping_key=bytes(key),
                wrapping_alg=AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16,
            )
        )
        return cls(keyring)

    def encrypt(self, secret: Mapping[str, str], *, credential_id: str, scope: str) -> bytes:
        """Seal ``secret`` (field name -> value) for this credential and scope.

        The result is an AWS Encryption SDK message: store it as is. Only a decrypt with
        the same ``credential_id`` and ``scope`` (and the same key) opens it.
        """
        context = encryption_context(credential_id, scope)
        plaintext = _encode_secret(secret, credential_id)
        ciphertext, _header = self._client.encrypt(
            source=plaintext,
            encryption_context=context,
            algorithm=self._algorithm,
            **self._key_args,
        )
        return bytes(ciphertext)

    def decrypt(self, ciphertext: bytes, *, credential_id: str, scope: str) -> dict[str, str]:
        """Open a sealed secret; it must have been sealed for this credential and scope.

        Raises :class:`~orcheo_core.vault.errors.CredentialContextMismatchError` when it
        belongs to another credential or scope, and
        :class:`~orcheo_core.vault.errors.CredentialDecryptError` when it was altered or
        sealed under another key. Neither message contains secret or key material.
        """
        expected = encryption_context(credential_id, scope)
        data = bytes(ciphertext)
        kwargs: dict[str, object] = {**self._key_args, "max_body_length": _MAX_BODY_LENGTH}
        if self._reproduce_context:
            kwargs["encryption_context"] = expected
        try:
            plaintext, header = self._client.decrypt(source=data, **kwargs)
        except Exception as exc:
            # The bytes come from storage: whatever the SDK raises on them (its own errors,
            # cryptography's InvalidTag, a UnicodeDecodeError in the header) means the same.
            stored = _stored_context(data)
            if stored is not None and stored != expected:
                raise _mismatch(credential_id, scope, stored) from None
            raise CredentialDecryptError(
                f"the secret of credential {credential_id!r} (scope {scope!r}) does not "
                f"decrypt ({type(exc).__name__}): the stored ciphertext was altered or "
                "truncated, or it was sealed under another key (another vault key file or "
                "KMS key); restore that key, or store the secret again",
                credential_id=credential_id,
                scope=scope,
                reason=type(exc).__name__,
            ) from None
        stored = _user_context(header.encryption_context)
        if stored != expected:
            raise _mismatch(credential_id, scope, stored)
        return _decode_secret(plaintext, credential_id, scope)


class _DropCloseErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Error on closing"


_CLOSE_ERRORS_FILTER = _DropCloseErrors()


def _quiet_sdk_close_errors() -> None:
    # After any failed decrypt the SDK's stream __exit__ logs "Error on closing" with two
    # chained tracebacks at ERROR level, for a close error it calls safe to ignore; the
    # failure itself reaches the caller as a VaultError. addFilter ignores a duplicate.
    logging.getLogger("aws_encryption_sdk.streaming_client").addFilter(_CLOSE_ERRORS_FILTER)


def _encode_secret(secret: Mapping[str, str], credential_id: str) -> bytes:
    if not isinstance(secret, Mapping):
        raise InvalidSecretError(
            f"the secret of credential {credential_id!r} must be a mapping of field names "
            f"to strings, not {type(secret).__name__}",
            credential_id=credential_id,
        )
    for name, value in secret.items():
        if not isinstance(name, str) or not isinstance(value, str):
            field = name if isinstance(name, str) else f"<{type(name).__name__} key>"
            raise InvalidSecretError(
                f"the secret of credential {credential_id!r} must map field names to "
                f"strings; field {field!r} holds {type(value).__name__}",
                credential_id=credential_id,
                field=field,
            )
    return json.dumps(dict(secret), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _decode_secret(plaintext: bytes, credential_id: str, scope: str) -> dict[str, str]:
    try:
        data = json.loads(bytes(plaintext).decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError both are ValueErrors
        data = None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise CredentialDecryptError(
            f"the secret of credential {credential_id!r} (scope {scope!r}) decrypted, but "
            "is not an Orcheo secret (field name -> string); store the secret again",
            credential_id=credential_id,
            scope=scope,
            reason="malformed_plaintext",
        )
    return data


def _user_context(context: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in context.items() if not k.startswith(_RESERVED_CONTEXT_PREFIX)}


def _stored_context(ciphertext: bytes) -> dict[str, str] | None:
    """The context in a message's header, unauthenticated: only to explain a failure."""
    try:
        from aws_encryption_sdk.internal.formatting.deserialize import deserialize_header

        header, _raw = deserialize_header(io.BytesIO(ciphertext), _MAX_ENCRYPTED_DATA_KEYS)
        return _user_context(header.encryption_context)
    except Exception:  # an unreadable header (or an SDK change): the failure stays generic
        return None


def _mismatch(
    credential_id: str, scope: str, stored: Mapping[str, str]
) -> CredentialContextMismatchError:
    owner = stored.get(CONTEXT_CREDENTIAL_ID, "?")
    owner_scope = stored.get(CONTEXT_SCOPE, "?")
    return CredentialContextMismatchError(
        f"the ciphertext given for credential {credential_id!r} (scope {scope!r}) was sealed "
        f"for credential {owner!r} (scope {owner_scope!r}); a secret cannot move between "
        "credentials or scopes: store it again under this credential",
        credential_id=credential_id,
        scope=scope,
        sealed_for={"credential_id": owner, "scope": owner_scope},
    )
