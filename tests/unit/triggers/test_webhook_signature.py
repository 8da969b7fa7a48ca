"""Webhook signatures: the documented scheme, rotation, the time window, malformed headers."""

from __future__ import annotations

import doctest
import hashlib
import hmac
import json
import re
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orcheo_core.errors import ConfigError
from orcheo_core.spec import validate_spec
from orcheo_core.triggers import (
    SIGNATURE_HEADER,
    WebhookAuthError,
    generate_secret,
    replay_error,
    sign,
    verify,
)
from orcheo_core.triggers import webhook as webhook_module

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OLD_SECRET = "whsec_old-secret-being-rotated-out"
T = 1_700_000_000
BODY = b'{"order":42}'
DOCUMENTED_HEX = "bbc51331003f1ef5cbaded367544ece2b2179801023702a027a7c20da0a48782"
CONCEPTS = Path(__file__).resolve().parents[3] / "docs" / "concepts.md"


def _refused(header: str | None, body: bytes = BODY, secret: object = SECRET, **kw: float) -> str:
    """The reason a request is refused; asserts that nothing secret leaks into the error."""
    kw.setdefault("now", T)
    with pytest.raises(WebhookAuthError) as info:
        verify(header, body, secret, **kw)  # type: ignore[arg-type]
    error = info.value
    assert error.code == "invalid_signature" and error.http_status == 401
    text = str(error.to_dict())
    for key in [SECRET, OLD_SECRET]:
        assert key not in text
        assert hmac.new(key.encode(), b"%d." % T + body, hashlib.sha256).hexdigest() not in text
    return error.reason


def _digest(secret: str, body: bytes = BODY, t: int = T) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------- the scheme


def test_sign_follows_the_documented_scheme() -> None:
    assert sign(SECRET, BODY, T) == f"t={T},v1={DOCUMENTED_HEX}"
    assert _digest(SECRET) == DOCUMENTED_HEX  # what a sender computes with hmac alone


def test_the_worked_example_in_the_docs_matches_the_code() -> None:
    text = CONCEPTS.read_text()
    assert SECRET in text and str(T) in text and DOCUMENTED_HEX in text
    assert f"{SIGNATURE_HEADER}: t={T},v1={DOCUMENTED_HEX}" in text


def test_module_examples_run() -> None:
    result = doctest.testmod(webhook_module)
    assert result.attempted >= 5 and result.failed == 0


def test_round_trip() -> None:
    check = verify(sign(SECRET, BODY, T), BODY, SECRET, now=T + 5)
    assert check.timestamp == T and check.secret_index == 0
    assert re.fullmatch(r"[0-9a-f]{64}", check.nonce)


def test_empty_body_signs_the_timestamp_and_a_full_stop() -> None:
    header = f"t={T},v1={_digest(SECRET, b'')}"
    assert verify(header, b"", SECRET, now=T).timestamp == T


def test_uppercase_hex_and_spaces_around_items_are_accepted() -> None:
    header = f"  t={T} , v1={_digest(SECRET).upper()} "
    assert verify(header, BODY, SECRET, now=T).timestamp == T


def test_unknown_keys_are_ignored() -> None:
    header = f"t={T},v0=whatever,v1={_digest(SECRET)},scheme=next"
    assert verify(header, BODY, SECRET, now=T).timestamp == T


def test_generated_secrets_are_prefixed_random_and_usable() -> None:
    first, second = generate_secret(), generate_secret()
    assert first.startswith("whsec_") and len(first) >= 6 + 43
    assert first != second
    assert verify(sign(first, b"x", T), b"x", first, now=T).secret_index == 0


# ---------------------------------------------------------------------------- rotation


def test_rotation_any_signature_may_match_any_secret() -> None:
    both = f"t={T},v1={_digest(OLD_SECRET)},v1={_digest(SECRET)}"
    assert verify(both, BODY, [SECRET], now=T).secret_index == 0
    assert verify(both, BODY, [OLD_SECRET], now=T).secret_index == 0
    old_only = sign(OLD_SECRET, BODY, T)
    check = verify(old_only, BODY, [SECRET, OLD_SECRET], now=T)
    assert check.secret_index == 1  # the old secret is still in use
    assert _refused(old_only, secret=[SECRET]) == "mismatch"


def test_no_secret_to_verify_against_is_a_configuration_error() -> None:
    for secret in ([], "", [SECRET, ""]):
        with pytest.raises(ConfigError, match="no webhook secret"):
            verify(sign(SECRET, BODY, T), BODY, secret, now=T)


# ---------------------------------------------------------------------------- tampering


def test_a_changed_body_or_timestamp_does_not_match() -> None:
    header = sign(SECRET, BODY, T)
    assert _refused(header, body=b'{"order":43}') == "mismatch"
    assert _refused(header, body=b'{"order": 42}') == "mismatch"  # bytes, not JSON, are signed
    assert _refused(header.replace(f"t={T}", f"t={T + 1}"), now=T + 1) == "mismatch"
    assert _refused(header, secret="whsec_someone-else") == "mismatch"


def test_near_miss_signatures_are_refused() -> None:
    good = _digest(SECRET)
    last = "0" if good[-1] != "0" else "1"
    assert _refused(f"t={T},v1={good[:-1]}{last}") == "mismatch"
    assert _refused(f"t={T},v1={good[::-1]}") == "mismatch"


def test_a_mismatch_says_what_to_sign_without_the_expected_value() -> None:
    with pytest.raises(WebhookAuthError) as info:
        verify(sign("whsec_wrong", BODY, T), BODY, SECRET, now=T)
    assert "does not match" in info.value.message
    assert '"<t>.<body>"' in info.value.message
    assert info.value.details == {"reason": "mismatch", "timestamp": T, "signatures": 1}


# ---------------------------------------------------------------------------- time window


def test_timestamps_within_the_tolerance_pass_either_way() -> None:
    header = sign(SECRET, BODY, T)
    assert verify(header, BODY, SECRET, now=T + 300).timestamp == T
    assert verify(header, BODY, SECRET, now=T - 300).timestamp == T
    assert verify(header, BODY, SECRET, now=T + 30, tolerance=30).timestamp == T


def test_a_stale_timestamp_says_by_how_much_and_the_tolerance() -> None:
    with pytest.raises(WebhookAuthError) as info:
        verify(sign(SECRET, BODY, T), BODY, SECRET, now=T + 301)
    assert info.value.reason == "too_old"
    assert f"t={T} is 301 s old, more than the 300 s tolerance" in info.value.message
    assert info.value.details["skew"] == 301


def test_a_future_timestamp_says_by_how_much_and_the_tolerance() -> None:
    with pytest.raises(WebhookAuthError) as info:
        verify(sign(SECRET, BODY, T), BODY, SECRET, now=T - 3600.5, tolerance=60)
    assert info.value.reason == "too_new"
    assert "is 3601 s in the future, more than the 60 s tolerance" in info.value.message
    assert "clock" in info.value.message


def test_a_bad_signature_is_reported_before_a_stale_timestamp() -> None:
    # "too old" then always means a genuine but late (or replayed) request
    assert _refused(sign("whsec_wrong", BODY, T), now=T + 10_000) == "mismatch"


# ---------------------------------------------------------------------------- replay


def test_the_nonce_identifies_timestamp_and_body_not_the_header() -> None:
    both = f"t={T},v1={_digest(OLD_SECRET)},v1={_digest(SECRET)}"
    one = f"t={T},v1={_digest(SECRET)}"
    first = verify(both, BODY, [SECRET, OLD_SECRET], now=T)
    # dropping an entry (or the other secret matching) must not make a replay look new
    assert verify(one, BODY, [SECRET, OLD_SECRET], now=T).nonce == first.nonce
    assert verify(sign(OLD_SECRET, BODY, T), BODY, [OLD_SECRET], now=T).nonce == first.nonce
    assert verify(sign(SECRET, b"{}", T), b"{}", SECRET, now=T).nonce != first.nonce
    assert verify(sign(SECRET, BODY, T + 1), BODY, SECRET, now=T).nonce != first.nonce


def test_the_nonce_lives_as_long_as_the_request_could_pass() -> None:
    header = sign(SECRET, BODY, T)
    assert verify(header, BODY, SECRET, now=T - 300).nonce_ttl == 601
    assert verify(header, BODY, SECRET, now=T).nonce_ttl == 301
    assert verify(header, BODY, SECRET, now=T + 299.5).nonce_ttl == 2
    assert verify(header, BODY, SECRET, now=T + 300).nonce_ttl >= 1


def test_replay_error() -> None:
    check = verify(sign(SECRET, BODY, T), BODY, SECRET, now=T)
    error = replay_error(check)
    assert (error.code, error.reason, error.http_status) == ("invalid_signature", "replayed", 401)
    assert "already received" in error.message and "new timestamp" in error.message


# ---------------------------------------------------------------------------- malformed


def test_a_missing_header_names_it_and_the_way_out() -> None:
    for header in (None, "", "   "):
        with pytest.raises(WebhookAuthError) as info:
            verify(header, BODY, SECRET, now=T)
        assert info.value.reason == "missing"
        assert f"missing {SIGNATURE_HEADER} header" in info.value.message
        assert 'auth: "none"' in info.value.message


GOOD = _digest(SECRET)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (GOOD, f"item {GOOD[:21]!r}"[:-1]),
        (f"v1={GOOD}", "no timestamp (t=...)"),
        (f"t={T}", "no signature (v1=...)"),
        (f"t={T},t={T},v1={GOOD}", "more than one timestamp"),
        (f"t=,v1={GOOD}", "t='' is not whole Unix seconds"),
        (f"t=-5,v1={GOOD}", "t='-5' is not whole Unix seconds"),
        (f"t=1.5,v1={GOOD}", "t='1.5' is not whole Unix seconds"),
        (f"t=１２,v1={GOOD}", "non-ASCII"),
        (f"t={'9' * 40},v1={GOOD}", "is not whole Unix seconds"),
        (f"t={T},v1=", "v1='' is not 64 hex digits"),
        (f"t={T},v1={GOOD[:63]}", "is not 64 hex digits"),
        (f"t={T},v1={GOOD}0", "is not 64 hex digits"),
        (f"t={T},v1={'g' * 64}", "is not 64 hex digits"),
        (f"t={T},,v1={GOOD}", "item '' is not key=value"),
        (f"t={T};v1={GOOD}", "is not whole Unix seconds"),
        (f"sha256={GOOD}", "no timestamp"),
        ("t=1," + "v1=" + "a" * 64 + "," * 5000, "longer than 4096"),
    ],
)
def test_malformed_headers_say_what_is_wrong(header: str, problem: str) -> None:
    with pytest.raises(WebhookAuthError) as info:
        verify(header, BODY, SECRET, now=T)
    assert info.value.reason == "malformed"
    assert info.value.message.startswith(f"malformed {SIGNATURE_HEADER} header: ")
    assert problem in info.value.message
    assert "t=<unix seconds>,v1=<hex HMAC-SHA256" in info.value.message  # how to fix it


_pieces = st.sampled_from(["t", "v1", "v0", "=", ",", " ", str(T), GOOD, GOOD[:10], "-", "é"])


@given(st.one_of(st.text(max_size=300), st.lists(_pieces, max_size=12).map("".join)))
def test_any_header_is_accepted_or_refused_with_a_reason(header: str) -> None:
    try:
        check = verify(header, BODY, SECRET, now=T)
    except WebhookAuthError as exc:
        assert exc.reason in {"missing", "malformed", "mismatch", "too_old", "too_new"}
        assert SECRET not in exc.message and GOOD not in exc.message.replace(header, "")
    else:  # only a header that carries the right signature gets through
        assert check.timestamp == T and GOOD in header


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=10**12))
def test_round_trip_for_any_body_and_timestamp(body: bytes, t: int) -> None:
    header = sign(SECRET, body, t)
    assert verify(header, body, SECRET, now=t).timestamp == t
    assert _digest(SECRET, body, t) in header


def test_sign_refuses_what_cannot_be_a_signature() -> None:
    with pytest.raises(ConfigError):
        sign("", BODY, T)
    for bad in (-1, 1.5, True):
        with pytest.raises(ConfigError, match="whole Unix seconds"):
            sign(SECRET, BODY, bad)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- the docs


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", CONCEPTS.read_text(), flags=re.DOTALL)


def test_the_python_sender_in_the_docs_signs_what_verify_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (snippet,) = [b for b in _blocks("python") if "X-Orcheo-Signature" in b]
    namespace: dict[str, object] = {}
    exec(compile(snippet, "concepts.md", "exec"), namespace)
    sent: list[object] = []

    class Answer:
        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def read(self) -> bytes:
            return b'{"run_id":"r1"}'

    def urlopen(request: object) -> Answer:  # the network is outside the unit tier
        sent.append(request)
        return Answer()

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    send = namespace["send"]
    assert send("http://127.0.0.1:8000/hooks/wf", SECRET, {"order": 42}) == b'{"run_id":"r1"}'  # type: ignore[operator]
    (request,) = sent
    assert isinstance(request, urllib.request.Request) and isinstance(request.data, bytes)
    header = request.get_header("X-orcheo-signature")
    check = verify(header, request.data, SECRET, now=time.time())
    assert check.secret_index == 0


def test_the_trigger_examples_in_the_docs_are_valid() -> None:
    (example,) = [b for b in _blocks("jsonc") if '"triggers"' in b]
    triggers = json.loads(example)["triggers"]
    spec = {
        "name": "docs",
        "nodes": [{"id": "a", "type": "set_variable", "config": {"values": {"x": 1}}}],
        "triggers": triggers,
    }
    report = validate_spec(spec)
    assert report.ok, report.errors
    assert [t["type"] for t in triggers] == ["manual", "webhook", "cron"]
