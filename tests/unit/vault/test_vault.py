"""The vault: secrets sealed with the AWS Encryption SDK, bound to credential and scope."""

from __future__ import annotations

import base64
import io
import json
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from orcheo_core.vault import (
    CONTEXT_CREDENTIAL_ID,
    CONTEXT_SCOPE,
    MASK,
    CredentialContextMismatchError,
    CredentialDecryptError,
    InvalidSecretError,
    Vault,
    VaultError,
    VaultKeyError,
    mask,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
CANARY = "sk-canary-0f5e2c9a7b41d3e8"
SECRET = {"token": CANARY, "note": "ünïcødé ✓"}


@pytest.fixture(scope="module")
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture(scope="module")
def vault(key: bytes) -> Vault:
    return Vault.raw_aes(key)


@pytest.fixture(scope="module")
def sealed(vault: Vault) -> bytes:
    return vault.encrypt(SECRET, credential_id="cred_1", scope="global")


def encodings(value: str) -> list[bytes]:
    raw = value.encode("utf-8")
    return [
        raw,
        value.encode("utf-16-le"),
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
        base64.b64encode(raw).rstrip(b"="),
        raw.hex().encode(),
    ]


def test_round_trip(vault: Vault, sealed: bytes) -> None:
    assert vault.decrypt(sealed, credential_id="cred_1", scope="global") == SECRET


def test_an_empty_secret_round_trips(vault: Vault) -> None:
    blob = vault.encrypt({}, credential_id="cred_2", scope="global")
    assert vault.decrypt(blob, credential_id="cred_2", scope="global") == {}


def test_the_stored_ciphertext_holds_no_plaintext_and_no_key(
    vault: Vault, sealed: bytes, key: bytes
) -> None:
    for value in (CANARY, SECRET["note"], json.dumps(SECRET)):
        for form in encodings(value):
            assert form not in sealed
    assert key not in sealed
    assert key.hex().encode() not in sealed
    # What the store keeps is an Encryption SDK message (format version 2).
    assert sealed[0] == 0x02


def test_the_message_uses_the_committing_unsigned_suite_and_binds_the_context(
    sealed: bytes,
) -> None:
    from aws_encryption_sdk.identifiers import AlgorithmSuite
    from aws_encryption_sdk.internal.formatting.deserialize import deserialize_header

    header, _raw = deserialize_header(io.BytesIO(sealed))
    assert header.algorithm is AlgorithmSuite.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
    assert header.encryption_context == {
        CONTEXT_CREDENTIAL_ID: "cred_1",
        CONTEXT_SCOPE: "global",
    }


def test_each_encryption_is_fresh(vault: Vault, sealed: bytes) -> None:
    again = vault.encrypt(SECRET, credential_id="cred_1", scope="global")
    assert again != sealed
    assert vault.decrypt(again, credential_id="cred_1", scope="global") == SECRET


def test_the_local_vault_keeps_its_key_in_a_0600_file(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    blob = Vault.local(path).encrypt(SECRET, credential_id="c", scope="global")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A restart reads the same key back and opens what the first process sealed.
    assert Vault.local(path).decrypt(blob, credential_id="c", scope="global") == SECRET


def test_another_credentials_context_fails(vault: Vault, sealed: bytes) -> None:
    with pytest.raises(CredentialContextMismatchError) as info:
        vault.decrypt(sealed, credential_id="cred_2", scope="global")
    error = info.value
    assert error.code == "credential_context_mismatch"
    assert "'cred_2'" in error.message and "'cred_1'" in error.message
    assert error.details["sealed_for"] == {"credential_id": "cred_1", "scope": "global"}


def test_another_scope_fails(vault: Vault, sealed: bytes) -> None:
    with pytest.raises(CredentialContextMismatchError):
        vault.decrypt(sealed, credential_id="cred_1", scope="workflow:wf_9")


def test_a_ciphertext_swapped_between_two_stored_credentials_fails_both_ways(
    vault: Vault,
) -> None:
    a = vault.encrypt({"token": "aaaa-1111"}, credential_id="a", scope="global")
    b = vault.encrypt({"token": "bbbb-2222"}, credential_id="b", scope="global")
    with pytest.raises(CredentialContextMismatchError):
        vault.decrypt(b, credential_id="a", scope="global")
    with pytest.raises(CredentialContextMismatchError):
        vault.decrypt(a, credential_id="b", scope="global")


def test_rewriting_the_context_in_the_header_does_not_help(vault: Vault) -> None:
    blob = vault.encrypt(SECRET, credential_id="cred_A", scope="global")
    forged = blob.replace(b"cred_A", b"cred_B")
    assert forged != blob
    with pytest.raises(CredentialDecryptError) as info:
        vault.decrypt(forged, credential_id="cred_B", scope="global")
    assert info.value.code == "credential_decrypt_failed"


@pytest.mark.parametrize("where", ["header", "middle", "tag"])
def test_a_tampered_ciphertext_fails(vault: Vault, sealed: bytes, where: str) -> None:
    index = {"header": 5, "middle": len(sealed) // 2, "tag": len(sealed) - 1}[where]
    tampered = bytearray(sealed)
    tampered[index] ^= 0x01
    with pytest.raises(CredentialDecryptError) as info:
        vault.decrypt(bytes(tampered), credential_id="cred_1", scope="global")
    assert info.value.code == "credential_decrypt_failed"


@pytest.mark.parametrize(
    "blob", [b"", b"not a message", b"\x02" * 40], ids=["empty", "text", "junk"]
)
def test_garbage_fails(vault: Vault, blob: bytes) -> None:
    with pytest.raises(CredentialDecryptError):
        vault.decrypt(blob, credential_id="cred_1", scope="global")


def test_a_truncated_ciphertext_fails(vault: Vault, sealed: bytes) -> None:
    with pytest.raises(CredentialDecryptError):
        vault.decrypt(sealed[:-10], credential_id="cred_1", scope="global")


def test_the_wrong_key_fails(sealed: bytes) -> None:
    other = Vault.raw_aes(secrets.token_bytes(32))
    with pytest.raises(CredentialDecryptError) as info:
        other.decrypt(sealed, credential_id="cred_1", scope="global")
    assert "another key" in info.value.message


def test_a_message_without_key_commitment_is_refused(key: bytes) -> None:
    # Sealed with the same key and context, but by a client that skips key commitment:
    # REQUIRE_ENCRYPT_REQUIRE_DECRYPT must refuse it.
    import aws_encryption_sdk
    from aws_encryption_sdk.identifiers import AlgorithmSuite, CommitmentPolicy

    vault = Vault.raw_aes(key)
    lax = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    )
    context = {CONTEXT_CREDENTIAL_ID: "cred_1", CONTEXT_SCOPE: "global"}
    blob, _ = lax.encrypt(
        source=json.dumps(SECRET).encode(),
        encryption_context=context,
        algorithm=AlgorithmSuite.AES_256_GCM_IV12_TAG16_HKDF_SHA256,
        **vault._key_args,
    )
    with pytest.raises(CredentialDecryptError):
        vault.decrypt(blob, credential_id="cred_1", scope="global")


def test_no_error_message_ever_contains_the_secret_or_the_key(
    vault: Vault, sealed: bytes, key: bytes
) -> None:
    tampered = bytearray(sealed)
    tampered[len(sealed) // 2] ^= 0x01
    attempts = [
        lambda: vault.decrypt(sealed, credential_id="cred_2", scope="global"),
        lambda: vault.decrypt(sealed, credential_id="cred_1", scope="other"),
        lambda: vault.decrypt(bytes(tampered), credential_id="cred_1", scope="global"),
        lambda: Vault.raw_aes(bytes(32)).decrypt(sealed, credential_id="cred_1", scope="global"),
        lambda: vault.encrypt({"token": CANARY, "n": 1}, credential_id="c", scope="global"),  # type: ignore[dict-item]
    ]
    for attempt in attempts:
        with pytest.raises(VaultError) as info:
            attempt()
        error = info.value
        shown = " ".join([str(error), repr(error), json.dumps(error.to_dict())])
        assert CANARY not in shown
        assert key.hex() not in shown
        # Nothing chained either: the SDK's exception never travels with ours.
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__


def test_a_failed_decrypt_logs_nothing_at_error_level(
    vault: Vault, sealed: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(VaultError):
        vault.decrypt(sealed, credential_id="cred_2", scope="global")
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []


@pytest.mark.parametrize(
    ("secret", "field"),
    [({"token": 123}, "token"), ({"token": None}, "token"), ({1: "x"}, "<int key>")],
)
def test_a_secret_must_map_names_to_strings(vault: Vault, secret: dict, field: str) -> None:
    with pytest.raises(InvalidSecretError) as info:
        vault.encrypt(secret, credential_id="c", scope="global")
    assert info.value.code == "credential_invalid_secret"
    assert info.value.details["field"] == field


def test_a_secret_must_be_a_mapping(vault: Vault) -> None:
    with pytest.raises(InvalidSecretError, match="not str"):
        vault.encrypt(CANARY, credential_id="c", scope="global")  # type: ignore[arg-type]


@pytest.mark.parametrize(("credential_id", "scope"), [("", "global"), ("c", ""), (None, "g")])
def test_an_id_and_a_scope_are_required(vault: Vault, credential_id: object, scope: str) -> None:
    with pytest.raises(InvalidSecretError):
        vault.encrypt(SECRET, credential_id=credential_id, scope=scope)  # type: ignore[arg-type]
    with pytest.raises(InvalidSecretError):
        vault.decrypt(b"x", credential_id=credential_id, scope=scope)  # type: ignore[arg-type]


def test_a_raw_key_must_be_32_bytes() -> None:
    with pytest.raises(VaultKeyError, match="32 bytes, not 16"):
        Vault.raw_aes(bytes(16))


def test_a_legacy_master_key_provider_works_and_checks_the_context() -> None:
    from aws_encryption_sdk.identifiers import EncryptionKeyType, WrappingAlgorithm
    from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
    from aws_encryption_sdk.key_providers.raw import RawMasterKeyProvider

    wrapping = WrappingKey(
        wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
        wrapping_key=secrets.token_bytes(32),
        wrapping_key_type=EncryptionKeyType.SYMMETRIC,
    )

    class Provider(RawMasterKeyProvider):  # type: ignore[misc]
        provider_id = "orcheo-test"

        def _get_raw_key(self, key_id: bytes) -> WrappingKey:
            return wrapping

    provider = Provider()
    provider.add_master_key(b"k1")
    vault = Vault(provider)
    blob = vault.encrypt(SECRET, credential_id="cred_1", scope="global")
    assert vault.decrypt(blob, credential_id="cred_1", scope="global") == SECRET
    with pytest.raises(CredentialContextMismatchError):
        vault.decrypt(blob, credential_id="cred_2", scope="global")


def test_importing_the_vault_package_loads_no_encryption_sdk() -> None:
    code = (
        "import sys, orcheo_core.vault\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('aws_encryption_sdk', 'aws_cryptographic_material_providers', 'boto3', 'botocore')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("value", "preview"),
    [
        ("sk-proj-abcdefghijklmnop1234", "sk-…1234"),
        ("ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_…0123"),
        ("abcdefghijklmnop", "…mnop"),  # 16 characters: 12 stay hidden
        ("sk-abcdefghijklm", "…jklm"),  # the prefix would leave fewer than 12 hidden
        ("abcdefghijklmno", MASK),  # 15 characters: too short to show any of it
        ("hunter2", MASK),
        ("", MASK),
        ("Password-with-Capital-Prefix-9876", "…9876"),  # only lowercase type prefixes
    ],
)
def test_mask(value: str, preview: str) -> None:
    assert mask(value) == preview


def test_mask_never_shows_more_than_a_quarter_of_a_long_secret() -> None:
    for length in range(0, 80):
        value = "sk-" + "x" * length
        shown = mask(value).replace("…", "").replace(MASK, "")
        assert len(shown) * 2 <= len(value) - 4 or shown == ""
