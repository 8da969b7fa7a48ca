"""Webhook triggers: verify a signature, turn a request into run inputs, shape the reply.

Pure logic on the standard library. The service's route does the I/O around it:
read at most ``max_body_bytes``, :func:`check_method`, :func:`verify` (when the
trigger's ``auth`` is ``"hmac"``), remember the nonce in the trigger state (a replay
is refused), start a run with ``{trigger.input_key: webhook_inputs(...)}`` and answer
with :func:`accepted_reply`, :func:`static_reply` or :func:`output_reply`.

Signature scheme (what a sender implements)
-------------------------------------------

Every request carries one header::

    X-Orcheo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>

- ``t`` is when the request was signed, in whole Unix seconds (decimal digits).
- ``v1`` is the lower-case hex HMAC-SHA256 of the *signed payload*, keyed with the
  webhook's secret: the secret string exactly as Orcheo shows it (``whsec_...``,
  prefix included), UTF-8 encoded.
- The signed payload is ``t`` in decimal, a full stop, then the raw request body
  byte for byte as sent (``f"{t}.".encode() + body``); an empty body signs ``"<t>."``.
- While a secret is rotated, send one ``v1=`` entry per secret
  (``t=...,v1=<with old>,v1=<with new>``): the request passes when any entry matches
  any secret the webhook currently holds. Items are separated by commas; spaces
  around them are ignored, and so are keys other than ``t`` and ``v1`` (room for
  future schemes).
- The request is refused unless ``t`` is within 300 seconds of the server's clock,
  in either direction, and a request with the same ``t`` and body is refused as a
  replay while that window lasts: to send again, sign again with a new ``t``.

Worked example (secret ``whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw``, ``t`` = 1700000000,
body ``{"order":42}``)::

    >>> sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", b'{"order":42}', 1700000000)
    't=1700000000,v1=bbc51331003f1ef5cbaded367544ece2b2179801023702a027a7c20da0a48782'

The same with the standard library only::

    >>> import hashlib, hmac
    >>> secret, t, body = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1700000000, b'{"order":42}'
    >>> hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    'bbc51331003f1ef5cbaded367544ece2b2179801023702a027a7c20da0a48782'

or in a shell: ``printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$secret"``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from orcheo_core.errors import ConfigError
from orcheo_core.triggers.errors import (
    InvalidWebhookBodyError,
    MethodNotAllowedError,
    WebhookAuthError,
    WebhookPayloadTooLargeError,
)

if TYPE_CHECKING:
    from orcheo_core.spec.models import WebhookResponse

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "SignatureCheck",
    "WebhookReply",
    "accepted_reply",
    "check_body_size",
    "check_method",
    "generate_secret",
    "output_reply",
    "parse_body",
    "replay_error",
    "sign",
    "static_reply",
    "verify",
    "webhook_inputs",
]

SIGNATURE_HEADER = "X-Orcheo-Signature"
DEFAULT_TOLERANCE = 300.0
"""Seconds a signature's timestamp may differ from the server's clock, either way."""

SECRET_PREFIX = "whsec_"
# Request headers that carry credentials: a workflow never sees them.
HIDDEN_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-orcheo-signature"})

_MAX_HEADER = 4096  # a dozen signatures fit easily; anything longer is not ours
_MAX_TIMESTAMP_DIGITS = 15
_HEX = frozenset("0123456789abcdef")
_SCHEME_HINT = f'send `{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`'


# ---------------------------------------------------------------------------- signing


def generate_secret() -> str:
    """A new webhook secret: ``whsec_`` and 32 random bytes, URL-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    payload = b"%d." % timestamp + body
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Orcheo-Signature`` header value for ``body`` sent at ``timestamp``.

    >>> sign("whsec_x", b"{}", 1700000000)[:40]
    't=1700000000,v1=be8cb8325f2202445260a855'
    """
    if not secret:
        raise ConfigError("a webhook secret must not be empty", field="secret")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ConfigError(
            f"timestamp must be whole Unix seconds >= 0, not {timestamp!r}", field="timestamp"
        )
    return f"t={timestamp},v1={_digest(secret, body, timestamp)}"


@dataclass(frozen=True)
class SignatureCheck:
    """A request whose signature verified.

    ``nonce`` identifies the request (a hash of its timestamp and body, whatever the
    ``v1`` entries say) and ``nonce_ttl`` is how many seconds it could still pass the
    timestamp check: remember it that long (``TriggerState.add_nonce``, keyed by the
    workflow too) and refuse it with :func:`replay_error` when it was seen before.
    ``secret_index`` is the position of the secret that matched (rotation: once no
    request matches an old secret, it can go).
    """

    timestamp: int
    nonce: str
    nonce_ttl: float
    secret_index: int


def _malformed(problem: str, **details: Any) -> WebhookAuthError:
    return WebhookAuthError(
        f"malformed {SIGNATURE_HEADER} header: {problem}; {_SCHEME_HINT}",
        reason="malformed",
        **details,
    )


def _short(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:21] + "...")


def _parse_timestamp(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > _MAX_TIMESTAMP_DIGITS:
        raise _malformed(f"timestamp t={_short(value)} is not whole Unix seconds")
    return int(value)


def _parse_signature(value: str) -> str:
    digest = value.lower()
    if len(digest) != 64 or not set(digest) <= _HEX:
        raise _malformed(f"v1={_short(value)} is not 64 hex digits (a hex HMAC-SHA256)")
    return digest


def _parse_header(header: str | None) -> tuple[int, list[str]]:
    if header is None or not header.strip():
        raise WebhookAuthError(
            f"missing {SIGNATURE_HEADER} header; {_SCHEME_HINT}, or make the hook public "
            '(auth: "none")',
            reason="missing",
        )
    if len(header) > _MAX_HEADER:
        raise _malformed(f"{len(header)} characters is longer than {_MAX_HEADER}")
    if not header.isascii():
        raise _malformed("it contains non-ASCII characters")
    timestamps: list[int] = []
    digests: list[str] = []
    for item in header.split(","):
        key, eq, value = item.strip().partition("=")
        if not eq:
            raise _malformed(f"item {_short(item.strip())} is not key=value")
        if key == "t":
            timestamps.append(_parse_timestamp(value))
        elif key == "v1":
            digests.append(_parse_signature(value))
    if len(timestamps) != 1:
        raise _malformed(
            "no timestamp (t=...)" if not timestamps else "more than one timestamp (t=...)"
        )
    if not digests:
        raise _malformed("no signature (v1=...)")
    return timestamps[0], digests


def _secrets(secret: str | Sequence[str]) -> list[str]:
    keys = [secret] if isinstance(secret, str) else list(secret)
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise ConfigError(
            "no webhook secret to verify against (a secret must be a non-empty string)",
            field="secret",
        )
    return keys


def verify(
    header: str | None,
    body: bytes,
    secret: str | Sequence[str],
    *,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> SignatureCheck:
    """Check the ``X-Orcheo-Signature`` header of a request with raw ``body``.

    ``secret`` is the webhook's secret, or all of its current secrets while one is
    rotated. Raises :class:`WebhookAuthError` (code ``invalid_signature``) saying what
    is wrong: a missing or malformed header, a signature that matches no secret, or a
    timestamp more than ``tolerance`` seconds from ``now``. Every signature is compared
    in constant time; no message contains a secret or the expected signature.

    >>> check = verify(sign("whsec_x", b"{}", 1700000000), b"{}", "whsec_x", now=1700000060)
    >>> check.timestamp, check.secret_index, check.nonce_ttl
    (1700000000, 0, 241.0)
    """
    keys = _secrets(secret)
    timestamp, digests = _parse_header(header)
    matched = None
    for index, key in enumerate(keys):
        expected = _digest(key, body, timestamp)
        # every entry is compared, each in constant time: timing tells which never matched
        hits = [hmac.compare_digest(expected, digest) for digest in digests]
        if any(hits) and matched is None:
            matched = index
    if matched is None:
        raise WebhookAuthError(
            f"{SIGNATURE_HEADER} does not match: no v1 signature is the HMAC-SHA256 of "
            f'"<t>.<body>" under this webhook\'s secret; sign the raw body bytes exactly '
            "as sent, with the current secret",
            reason="mismatch",
            timestamp=timestamp,
            signatures=len(digests),
        )
    _check_age(timestamp, now, tolerance)
    nonce = hashlib.sha256(b"%d." % timestamp + body).hexdigest()
    return SignatureCheck(
        timestamp=timestamp,
        nonce=nonce,
        nonce_ttl=float(max(1, math.ceil(timestamp + tolerance - now) + 1)),
        secret_index=matched,
    )


def _check_age(timestamp: int, now: float, tolerance: float) -> None:
    age = now - timestamp
    if abs(age) <= tolerance:
        return
    seconds = math.ceil(abs(age))
    if age > 0:
        raise WebhookAuthError(
            f"signature timestamp t={timestamp} is {seconds} s old, more than the "
            f"{tolerance:g} s tolerance; sign each request when sending it (a stale "
            "timestamp may also mean the sender's clock is behind)",
            reason="too_old",
            timestamp=timestamp,
            skew=seconds,
            tolerance=tolerance,
        )
    raise WebhookAuthError(
        f"signature timestamp t={timestamp} is {seconds} s in the future, more than the "
        f"{tolerance:g} s tolerance; the sender's clock is probably ahead (sync it with NTP)",
        reason="too_new",
        timestamp=timestamp,
        skew=seconds,
        tolerance=tolerance,
    )


def replay_error(check: SignatureCheck) -> WebhookAuthError:
    """The error for a verified request whose nonce was already seen (a replay)."""
    return WebhookAuthError(
        f"this request was already received (same timestamp t={check.timestamp} and body); "
        "a replay is refused: to send it again, sign it again with a new timestamp",
        reason="replayed",
        timestamp=check.timestamp,
    )


# ---------------------------------------------------------------------------- the request


def check_method(method: str, allowed: Iterable[str]) -> None:
    """MethodNotAllowedError (405) unless ``method`` is one of ``allowed`` (any case).

    ``details["allowed"]`` lists the accepted verbs, for the ``Allow`` header.
    """
    verbs = [verb.upper() for verb in allowed]
    if method.upper() in verbs:
        return
    raise MethodNotAllowedError(
        f"method {method.upper()} is not allowed for this webhook; use {' or '.join(verbs)}",
        method=method.upper(),
        allowed=verbs,
    )


def check_body_size(size: int, limit: int) -> None:
    """WebhookPayloadTooLargeError (413) when a body of ``size`` bytes exceeds ``limit``.

    Call it with the Content-Length before reading, and again with what was read.
    """
    if size > limit:
        raise WebhookPayloadTooLargeError(
            f"body is {size} bytes, more than this webhook's limit of {limit} bytes "
            "(raise the trigger's max_body_bytes, up to 10 MiB, or send less)",
            size=size,
            limit=limit,
        )


Pairs = Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]]
"""Query parameters or headers: a mapping (a value may list repeats) or (name, value) pairs."""


def _pairs(items: Pairs) -> list[tuple[str, str]]:
    source = items.items() if isinstance(items, Mapping) else items
    out: list[tuple[str, str]] = []
    for name, value in source:
        if isinstance(value, str):
            out.append((name, value))
        else:
            out.extend((name, item) for item in value)
    return out


def _group(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
    """A name given once maps to its value; a name given several times to the list."""
    out: dict[str, str | list[str]] = {}
    for name, value in pairs:
        current = out.get(name)
        if current is None:
            out[name] = value
        elif isinstance(current, list):
            current.append(value)
        else:
            out[name] = [current, value]
    return out


def _headers(headers: Pairs) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in _pairs(headers):
        key = name.lower()
        if key in HIDDEN_HEADERS:
            continue
        # repeated headers mean the same as one, comma-joined (RFC 9110 5.3)
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    """``'application/json; charset=utf-8'`` -> ``('application/json', 'utf-8')``."""
    if not content_type:
        return "", None
    media, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return media.strip().lower(), charset


def _is_json(media: str) -> bool:
    return media in ("application/json", "text/json") or media.endswith("+json")


def _decode(body: bytes, charset: str | None, errors: str = "replace") -> str:
    codec = charset or "utf-8"
    if codec in ("utf-8", "utf8"):
        codec = "utf-8-sig"  # a BOM is not part of the text
    try:
        return body.decode(codec, errors)
    except LookupError:
        return body.decode("utf-8-sig", errors)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _parse_json(body: bytes, charset: str | None) -> Any:
    try:
        return json.loads(_decode(body, charset, "strict"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InvalidWebhookBodyError(
            f"body is not valid JSON ({reason}); fix it, or send another Content-Type "
            "to receive the body as text",
            content_type="json",
        ) from None


def parse_body(body: bytes, content_type: str | None) -> Any:
    """The body as a workflow sees it: JSON parsed, a form as fields, anything else as text.

    An empty body is None. JSON is any ``application/json``, ``text/json`` or ``+json``
    type, and must parse (InvalidWebhookBodyError otherwise). A urlencoded form becomes
    ``{field: value}`` (a list for a repeated field). Other bodies are decoded as text
    in their ``charset`` (UTF-8 by default; undecodable bytes become U+FFFD).
    """
    if not body:
        return None
    media, charset = _media_type(content_type)
    if _is_json(media):
        return _parse_json(body, charset)
    if media == "application/x-www-form-urlencoded":
        text = _decode(body, "latin-1")  # percent-encoded: the bytes are ASCII
        return _group(
            parse_qsl(text, keep_blank_values=True, encoding=charset or "utf-8", errors="replace")
        )
    return _decode(body, charset)


def webhook_inputs(
    method: str,
    path: str,
    query: Pairs,
    headers: Pairs,
    body: bytes,
    content_type: str | None = None,
) -> dict[str, Any]:
    """The request as the workflow receives it, under the trigger's ``input_key``.

    ``{"method", "path", "query", "headers", "body"}``: ``query`` maps each parameter
    to its value (a list when repeated); ``headers`` are lower-cased, without
    Authorization, Proxy-Authorization, Cookie and X-Orcheo-Signature; ``body`` is
    :func:`parse_body` of the raw body (``content_type`` defaults to the request's
    Content-Type header).

    >>> webhook_inputs("post", "/hooks/wf", {"a": "1"}, {"Content-Type": "application/json"},
    ...                b'{"x": 1}')["body"]
    {'x': 1}
    """
    visible = _headers(headers)
    if content_type is None:
        content_type = visible.get("content-type")
    return {
        "method": method.upper(),
        "path": path,
        "query": _group(_pairs(query)),
        "headers": visible,
        "body": parse_body(body, content_type),
    }


# ---------------------------------------------------------------------------- the reply


@dataclass(frozen=True)
class WebhookReply:
    """What the webhook answers: a status, a Content-Type (None for no body) and the body."""

    status_code: int
    content_type: str | None
    body: bytes


def _reply(status: int, value: Any, content_type: str | None = None) -> WebhookReply:
    """Strings are sent as they are (text/plain unless told); other values as JSON."""
    if isinstance(value, str) and not (content_type and _is_json(_media_type(content_type)[0])):
        return WebhookReply(status, content_type or "text/plain; charset=utf-8", value.encode())
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    json_type = content_type if content_type and _is_json(_media_type(content_type)[0]) else None
    return WebhookReply(status, json_type or "application/json", text.encode())


def accepted_reply(response: WebhookResponse, run_id: str) -> WebhookReply:
    """Mode ``accepted``: ``{"run_id": ...}``, status 202 unless configured."""
    return _reply(response.status_code or 202, {"run_id": run_id})


def static_reply(response: WebhookResponse) -> WebhookReply:
    """Mode ``static``: the configured status (200 by default), body and Content-Type."""
    status = response.status_code or 200
    if response.body is None:
        return WebhookReply(status, None, b"")
    return _reply(status, response.body, response.content_type)


def output_reply(
    response: WebhookResponse,
    *,
    run_id: str,
    status: str,
    state: Mapping[str, Any] | None = None,
    error: Mapping[str, Any] | None = None,
) -> WebhookReply:
    """Mode ``wait``: answer with the run's outcome once it ended or ``timeout`` passed.

    - succeeded: the final state, or its ``output_key`` value, with the configured
      status (200 by default); 500 when ``output_key`` is not in the final state;
    - still queued or running (the wait timed out): 202 ``{"run_id", "status"}``; the
      run goes on;
    - failed, cancelled or interrupted: 500 ``{"run_id", "status", "error": {"code"}}``
      (the error's message stays in Orcheo: the caller of a public hook may be anyone).

    ``state`` should already have secrets redacted.
    """
    if status in ("queued", "running"):
        return _reply(202, {"run_id": run_id, "status": status})
    if status != "succeeded":
        code = (error or {}).get("code", status)
        return _reply(500, {"run_id": run_id, "status": status, "error": {"code": code}})
    values = dict(state or {})
    key = response.output_key
    if key is None:
        return _reply(response.status_code or 200, values, response.content_type)
    if key not in values:
        problem = {
            "code": "missing_output",
            "message": f"the run ended without state key {key!r} (the webhook's output_key)",
        }
        return _reply(500, {"run_id": run_id, "status": status, "error": problem})
    return _reply(response.status_code or 200, values[key], response.content_type)
