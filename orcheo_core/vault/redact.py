"""Redaction: remove known secret values from anything on its way out.

A :class:`Redactor` is told the secret values resolved so far (``add``) and replaces
each of them, in the encodings a secret usually travels in, with ``[REDACTED]``:

- as is;
- URL-encoded (``quote`` with and without ``/`` kept, ``quote_plus``; upper- and
  lowercase ``%xx``);
- JSON-escaped, once and twice (a JSON string inside a JSON string), and with ``\\/``;
- base64 of the secret, standard and URL-safe, with and without padding;
- base64 of the secret *inside a longer value*, such as a Basic auth header's
  ``user:password``: for each of the 3 byte alignments the run of base64 characters
  that depends on the secret alone is redacted. Up to 3 characters at each end of that
  run mix the secret with its neighbours and stay (they carry at most 2 bytes of the
  secret per end); an alignment whose run would be under 8 characters (6 bytes) gets
  no such variant, as so short a run would match unrelated base64.

Limits, by design:

- values shorter than :data:`MIN_SECRET_LENGTH` (4) characters are not redacted: they
  would blank out ordinary words and numbers everywhere, and they are too short to be
  a secret worth the name;
- only strings are searched (dict keys too); numbers, bytes and other objects pass
  through unchanged, so serialise objects to JSON-like data first;
- any other transformation escapes it: hex, HTML entities, ``\\uXXXX`` escapes with
  uppercase hex, other case, reversal, truncation, a secret split over several
  messages, or one re-derived by the code that holds it (hashes, signatures);
- a secret that contains ``[`` or ``]``, or is part of ``[REDACTED]`` itself, can
  reappear out of the marker and the text around it.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["MIN_SECRET_LENGTH", "REDACTED", "RedactingFilter", "Redactor"]

REDACTED = "[REDACTED]"
"""What a secret is replaced with."""
MIN_SECRET_LENGTH = 4
"""Shorter values are ignored by :meth:`Redactor.add` (see the module docstring)."""

_MIN_BASE64_RUN = 8  # characters; a shorter in-stream run would match unrelated base64
_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")

_T = TypeVar("_T")


class Redactor:
    """Replaces every known secret value with ``[REDACTED]``. Thread-safe.

    Example::

        redactor = Redactor()
        redactor.add(secret["token"])
        redactor.redact({"url": "https://x.test/?key=" + secret["token"]})
        # {'url': 'https://x.test/?key=[REDACTED]'}
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self._variants: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self.add(*values)

    def __len__(self) -> int:
        """How many secret values are redacted (their encodings not counted)."""
        return len(self._secrets)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"

    def add(self, *values: str) -> None:
        """Redact these values from now on; non-strings and values under 4 characters are
        ignored. Rebuilds the one compiled pattern when something is new."""
        new = {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH}
        with self._lock:
            new -= self._secrets
            if not new:
                return
            variants = set(self._variants)
            for secret in new:
                variants |= _variants(secret)
            # Longest first: where two variants start at the same place, the longer wins
            # (re tries alternatives in order), so a secret containing another goes whole.
            ordered = sorted(variants, key=lambda v: (-len(v), v))
            self._pattern = re.compile("|".join(map(re.escape, ordered)))
            self._variants = frozenset(variants)
            self._secrets = self._secrets | new

    def redact_text(self, text: str) -> str:
        """``text`` with every secret replaced; the same object when there was none."""
        pattern = self._pattern
        if pattern is None:
            return text
        return _redact_text(pattern, text)

    def redact(self, obj: _T) -> _T:
        """A redacted copy of a JSON-like value: dicts (keys too), lists, tuples, strings.

        ``obj`` is never changed. Containers are rebuilt only where something was
        redacted; unchanged parts (and ``obj`` itself when nothing matched) are returned
        as they are, so this costs almost nothing when there is no secret to find. Other
        values are returned unchanged. Two dict keys that redact to the same text are
        kept apart as ``[REDACTED]``, ``[REDACTED]#2``, ...
        """
        pattern = self._pattern
        if pattern is None:
            return obj
        return cast("_T", _redact_value(pattern, obj))


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from each record it sees; never drops one.

    It redacts the formatted message (``msg % args``), the exception and stack text and
    any ``extra`` fields. When it had to change the exception text, it stores the
    redacted text in ``exc_text`` and clears ``exc_info``, so formatters that format
    ``exc_info`` themselves cannot bring the secret back.

    ``redactor`` is a :class:`Redactor` or a callable returning the one to use now
    (or None), e.g. a context-variable lookup for the current run.

    Add it to **handlers** (``handler.addFilter(...)``): a filter on a logger does not
    see records propagated from its child loggers.
    """

    def __init__(self, redactor: Redactor | Callable[[], Redactor | None]) -> None:
        super().__init__()
        if isinstance(redactor, Redactor):
            fixed = redactor
            self._provider: Callable[[], Redactor | None] = lambda: fixed
        else:
            self._provider = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; always keeps it."""
        redactor = self._provider()
        if not redactor:  # None, or nothing to redact yet
            return True
        _redact_message(record, redactor)
        _redact_exception(record, redactor)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_RECORD_KEYS:
                redacted = redactor.redact(value)
                if redacted is not value:
                    setattr(record, key, redacted)
        return True


_STANDARD_RECORD_KEYS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
_TRACEBACK_FORMATTER = logging.Formatter()


def _redact_message(record: logging.LogRecord, redactor: Redactor) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports msg and args, clean them
        record.msg = redactor.redact_text(str(record.msg))
        record.args = redactor.redact(record.args)
        return
    redacted = redactor.redact_text(message)
    if redacted != message:
        record.msg = redacted
        record.args = ()


def _redact_exception(record: logging.LogRecord, redactor: Redactor) -> None:
    if record.exc_info and record.exc_info[0] is not None:
        text = record.exc_text or _TRACEBACK_FORMATTER.formatException(record.exc_info)
        redacted = redactor.redact_text(text)
        if redacted != text:
            record.exc_text = redacted
            record.exc_info = None
    elif record.exc_text:
        record.exc_text = redactor.redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor.redact_text(record.stack_info)


def _variants(secret: str) -> set[str]:
    """The forms ``secret`` is redacted in (see the module docstring)."""
    url = {
        quote(secret, safe="", errors="surrogatepass"),
        quote(secret, errors="surrogatepass"),
        quote_plus(secret, errors="surrogatepass"),
    }
    url |= {_PERCENT_ESCAPE.sub(lambda m: m.group(0).lower(), v) for v in url}
    once = json.dumps(secret)[1:-1]
    escaped = {
        once,
        once.replace("/", "\\/"),
        json.dumps(once)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    out = {secret} | url | escaped | _base64_variants(secret.encode("utf-8", "surrogatepass"))
    return {v for v in out if len(v) >= MIN_SECRET_LENGTH}


def _base64_variants(raw: bytes) -> set[str]:
    out: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        full = encode(raw).decode("ascii")
        out |= {full, full.rstrip("=")}
        # Inside a longer value the secret starts at offset 0, 1 or 2 of a 3-byte group:
        # the whole groups it fills encode to characters that depend on it alone.
        for skip in range(3):
            whole = (len(raw) - skip) // 3 * 3
            if whole * 4 // 3 >= _MIN_BASE64_RUN:
                out.add(encode(raw[skip : skip + whole]).decode("ascii"))
    return out


def _redact_text(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    if match is None:
        return text
    # Mark every place a secret starts, overlapping ones too (a plain sub() would leave
    # the tail of a secret that overlaps one matched before it), then merge the spans.
    spans: list[list[int]] = []
    while match is not None:
        start, end = match.span()
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
        match = pattern.search(text, start + 1)
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(REDACTED)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _redact_value(pattern: re.Pattern[str], obj: Any) -> Any:
    if isinstance(obj, str):
        return _redact_text(pattern, obj)
    if isinstance(obj, dict):
        return _redact_dict(pattern, obj)
    if isinstance(obj, list | tuple):
        items = [_redact_value(pattern, item) for item in obj]
        if all(new is old for new, old in zip(items, obj, strict=True)):
            return obj
        if isinstance(obj, list):
            return items
        make = getattr(type(obj), "_make", None)  # a namedtuple keeps its type
        return make(items) if make is not None else tuple(items)
    return obj


def _redact_dict(pattern: re.Pattern[str], obj: dict[Any, Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    changed = False
    for key, value in obj.items():
        new_key = _redact_text(pattern, key) if isinstance(key, str) else key
        new_value = _redact_value(pattern, value)
        if new_key is not key:
            base, n = new_key, 1
            while new_key in out or new_key in obj:
                n += 1
                new_key = f"{base}#{n}"
        changed = changed or new_key is not key or new_value is not value
        out[new_key] = new_value
    return out if changed else obj
