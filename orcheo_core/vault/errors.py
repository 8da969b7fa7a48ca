"""Errors raised by the credential vault.

Each has its own ``code`` (the API and the run error show it) and a message that says
what to do. None of them ever carries a secret value or key material: messages name
credential ids, scopes, field names, paths and byte counts only.
"""

from __future__ import annotations

from orcheo_core.errors import OrcheoError

__all__ = [
    "CredentialContextMismatchError",
    "CredentialDecryptError",
    "InvalidSecretError",
    "VaultError",
    "VaultKeyError",
    "VaultKeyPermissionError",
]


class VaultError(OrcheoError):
    """Root of the vault's errors: catch this to handle any of them."""

    code = "vault_error"


class VaultKeyError(VaultError):
    """The local key file is unusable: wrong length, not a regular file, unreadable."""

    code = "vault_key_invalid"


class VaultKeyPermissionError(VaultKeyError):
    """The local key file can be read or written by group or others."""

    code = "vault_key_insecure"


class InvalidSecretError(VaultError):
    """A secret to encrypt is not a mapping of field names to strings, or its id is empty."""

    code = "credential_invalid_secret"


class CredentialContextMismatchError(VaultError):
    """A ciphertext belongs to another credential or scope than the one asked for."""

    code = "credential_context_mismatch"


class CredentialDecryptError(VaultError):
    """A ciphertext does not decrypt: altered, truncated, or sealed under another key."""

    code = "credential_decrypt_failed"
