"""The credential vault: sealed secrets, masked previews and redaction.

**What is encrypted, where.** A credential's secret (field name -> string, e.g.
``{"token": "sk-..."}``) is serialised to JSON and sealed by :class:`Vault` into one AWS
Encryption SDK message; the credential store keeps only that ciphertext
(``CredentialRecord.ciphertext``) next to non-secret metadata and a :func:`mask`
preview. Nothing decrypts a secret but :meth:`Vault.decrypt`, and the engine hands
the result to nodes only through ``NodeContext.get_credential``.

**Encryption context.** Every message is bound to
``{"orcheo:credential_id": <id>, "orcheo:scope": <scope>}``. The SDK authenticates it
with the message (and the raw AES keyring with the wrapped data key); ``decrypt``
requires exactly that context, so a ciphertext copied onto another credential or scope
fails with ``credential_context_mismatch`` instead of decrypting. The context is not
secret: it is stored in clear in the message header.

**Algorithm and commitment.** Commitment policy ``REQUIRE_ENCRYPT_REQUIRE_DECRYPT``
with the suite ``AES_256_GCM_HKDF_SHA512_COMMIT_KEY``: AES-256-GCM under a per-message
data key derived with HKDF-SHA512, with key commitment (a message decrypts under one
data key only), without ECDSA signing (encryptor and decryptor are the same trusted
service; a signature would cost a P-384 sign and verify per secret and protect
nothing here).

**Keys.** The data keys are wrapped by an injected keyring: locally a raw AES-256-GCM
keyring whose key is 32 random bytes in a file created with mode 0600 on first start
(:func:`load_or_create_key`, refused when group or others can read it; back it up:
without it no credential decrypts); on AWS a KMS keyring, passed as ``Vault(keyring)``.

**Redaction.** A :class:`Redactor` fed with every secret value resolved for a run
replaces each of them, as is and in its usual URL, JSON and base64 encodings, with
``[REDACTED]`` in any JSON-like value (:meth:`Redactor.redact`), text
(:meth:`Redactor.redact_text`) and log record (:class:`RedactingFilter`). It is a
last line of defence against accidental echoes, not a sandbox: values under 4
characters are not redacted, and code holding a secret can always transform it
(hex, reversal, hashing, splitting) past any filter. ``orcheo_core.vault.redact``
lists the exact forms covered.

Importing this package does not import the AWS Encryption SDK (nor boto3): the first
:class:`Vault` built does.

Example::

    from orcheo_core.vault import Redactor, Vault, mask

    vault = Vault.local(home / "vault.key")
    blob = vault.encrypt({"token": token}, credential_id="cred_1", scope="global")
    preview = mask(token)  # 'sk-…abcd'
    redactor = Redactor()
    redactor.add(*vault.decrypt(blob, credential_id="cred_1", scope="global").values())
"""

from orcheo_core.vault.errors import (
    CredentialContextMismatchError,
    CredentialDecryptError,
    InvalidSecretError,
    VaultError,
    VaultKeyError,
    VaultKeyPermissionError,
)
from orcheo_core.vault.keyfile import KEY_BYTES, load_or_create_key
from orcheo_core.vault.redact import MIN_SECRET_LENGTH, REDACTED, RedactingFilter, Redactor
from orcheo_core.vault.vault import (
    CONTEXT_CREDENTIAL_ID,
    CONTEXT_SCOPE,
    MASK,
    Vault,
    encryption_context,
    mask,
)

__all__ = [
    "CONTEXT_CREDENTIAL_ID",
    "CONTEXT_SCOPE",
    "KEY_BYTES",
    "MASK",
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "CredentialContextMismatchError",
    "CredentialDecryptError",
    "InvalidSecretError",
    "RedactingFilter",
    "Redactor",
    "Vault",
    "VaultError",
    "VaultKeyError",
    "VaultKeyPermissionError",
    "encryption_context",
    "load_or_create_key",
    "mask",
]
