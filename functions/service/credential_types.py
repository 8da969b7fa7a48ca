"""The credential types: which secret fields and settings each needs, and how it signs a request.

A credential has **secret fields** (sealed by the vault, never returned, redacted from
every run that resolves them) and **settings** (not secret: stored in clear, shown in
answers, e.g. a Basic auth username or an API key's header name). Nodes get both, merged,
from ``NodeContext.get_credential``; a node declares the types it accepts in
``credential_types`` (``http_request``: ``http_bearer``, ``http_basic``, ``http_api_key``).

Settings exist so that values which are not secret are not redacted either: a header
name such as ``X-API-Key`` in the secret would be blanked out of every echoed response.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from functions.errors import UnprocessableError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["CREDENTIAL_TYPES", "CredentialType", "credential_type"]

MAX_FIELDS = 20
MAX_VALUE_CHARS = 10_000
MIN_SECRET_CHARS = 4  # orcheo_core.vault.MIN_SECRET_LENGTH: shorter values are not redacted
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$")
_TEST_URL = "test_url"


@dataclass(frozen=True)
class CredentialType:
    """One kind of credential: its fields and, for HTTP kinds, how it signs a request.

    ``secret_fields`` are required secret fields; ``optional_secret_fields`` may be left
    out. ``any_fields`` (``generic``) accepts any field names instead. ``settings`` are
    the non-secret fields it accepts (``required_settings`` must be given), with
    ``setting_defaults``. ``primary`` is the field the masked preview is made from.
    ``http`` types can be tested: ``auth_headers`` applies them to a request.
    """

    name: str
    description: str
    secret_fields: tuple[str, ...] = ()
    optional_secret_fields: tuple[str, ...] = ()
    any_fields: bool = False
    settings: tuple[str, ...] = ()
    required_settings: tuple[str, ...] = ()
    setting_defaults: Mapping[str, str] = field(default_factory=dict)
    primary: str | None = None
    http: bool = False

    def describe(self) -> dict[str, object]:
        """The type as the API lists it."""
        return {
            "type": self.name,
            "description": self.description,
            "secret_fields": list(self.secret_fields),
            "optional_secret_fields": list(self.optional_secret_fields),
            "any_secret_fields": self.any_fields,
            "settings": list(self.settings),
            "required_settings": list(self.required_settings),
            "setting_defaults": dict(self.setting_defaults),
            "testable": self.http,
        }

    def check_secret(self, secret: Mapping[str, str]) -> dict[str, str]:
        """``secret`` if it has exactly the fields this type needs; else a 422 naming one."""
        if not secret:
            raise UnprocessableError(
                f"a {self.name} credential needs a secret: "
                f"{self._field_hint() or 'at least one field'}",
                field="secret",
            )
        if len(secret) > MAX_FIELDS:
            raise UnprocessableError(
                f"a secret has at most {MAX_FIELDS} fields, not {len(secret)}", field="secret"
            )
        allowed = {*self.secret_fields, *self.optional_secret_fields}
        for name, value in secret.items():
            where = f"secret.{_printable(name)}"
            if not self.any_fields and name not in allowed:
                raise UnprocessableError(
                    f"a {self.name} credential has no secret field {_printable(name)!r}; "
                    f"its fields are: {self._field_hint()}",
                    field=where,
                )
            if not _is_text(name) or not _FIELD_NAME.match(name):
                raise UnprocessableError(
                    f"secret field names are letters, digits and _ (not starting with a "
                    f"digit, at most 64 characters); {_printable(name)[:70]!r} is not one",
                    field="secret",
                )
            # The messages below never quote the value: it is the secret.
            if not _is_text(value):
                raise UnprocessableError(f"{where} must be a UTF-8 string", field=where)
            if not MIN_SECRET_CHARS <= len(value) <= MAX_VALUE_CHARS:
                raise UnprocessableError(
                    f"{where} must be {MIN_SECRET_CHARS} to {MAX_VALUE_CHARS} characters long "
                    f"(it has {len(value)}): a shorter secret could not be redacted from run "
                    "outputs and logs; put values that are not secret in `settings`",
                    field=where,
                )
        for name in self.secret_fields:
            if name not in secret:
                raise UnprocessableError(
                    f"a {self.name} credential needs the secret field {name!r}",
                    field=f"secret.{name}",
                )
        return dict(secret)

    def check_settings(self, settings: Mapping[str, str]) -> dict[str, str]:
        """``settings`` with defaults filled in; a 422 for an unknown or bad one."""
        out = dict(self.setting_defaults)
        for name, value in settings.items():
            where = f"settings.{_printable(name)}"
            if name not in self.settings:
                known = ", ".join(self.settings) or "none"
                raise UnprocessableError(
                    f"a {self.name} credential has no setting {_printable(name)[:70]!r} "
                    f"(settings: {known})",
                    field=where,
                )
            if not _is_text(value) or len(value) > 2000:
                raise UnprocessableError(
                    f"{where} must be a string of at most 2000 characters", field=where
                )
            out[name] = value
        for name in self.required_settings:
            if not out.get(name):
                raise UnprocessableError(
                    f"a {self.name} credential needs the setting {name!r}", field=f"settings.{name}"
                )
        header = out.get("header")
        if header is not None and not _HEADER_NAME.match(header):
            raise UnprocessableError(
                f"settings.header must be an HTTP header name such as X-API-Key, not {header!r}",
                field="settings.header",
            )
        url = out.get(_TEST_URL)
        if url and not url.lower().startswith(("http://", "https://")):
            raise UnprocessableError(
                "settings.test_url must be a full http:// or https:// address",
                field="settings.test_url",
            )
        return out

    def preview_field(self, secret: Mapping[str, str]) -> str | None:
        """The secret field the masked preview shows."""
        if self.primary is not None and self.primary in secret:
            return self.primary
        return min(secret) if secret else None

    def auth_headers(self, values: Mapping[str, str]) -> dict[str, str]:
        """The headers that sign a request with this credential (``values``: settings+secret).

        The same headers the ``http_request`` node sends for its ``auth`` option.
        """
        if self.name == "http_bearer":
            return {"Authorization": f"Bearer {values['token']}"}
        if self.name == "http_basic":
            pair = f"{values['username']}:{values['password']}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        if self.name == "http_api_key":
            return {values.get("header") or "X-API-Key": values["value"]}
        raise UnprocessableError(
            f"a {self.name} credential cannot be tested: only http_bearer, http_basic and "
            "http_api_key credentials sign HTTP requests",
            field="type",
        )

    def _field_hint(self) -> str:
        if self.any_fields:
            return "any names"
        optional = [f"{n} (optional)" for n in self.optional_secret_fields]
        return ", ".join([*self.secret_fields, *optional])


def _printable(name: str) -> str:
    """A field name fit for an error message, lone surrogates escaped."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_text(value: object) -> bool:
    """A string that UTF-8 can carry (JSON may smuggle in lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


CREDENTIAL_TYPES: dict[str, CredentialType] = {
    t.name: t
    for t in (
        CredentialType(
            "http_bearer",
            "A bearer token sent as `Authorization: Bearer <token>` (http_request auth 'bearer').",
            secret_fields=("token",),
            settings=(_TEST_URL,),
            primary="token",
            http=True,
        ),
        CredentialType(
            "http_basic",
            "A username and password sent as HTTP Basic auth (http_request auth 'basic').",
            secret_fields=("password",),
            settings=("username", _TEST_URL),
            required_settings=("username",),
            primary="password",
            http=True,
        ),
        CredentialType(
            "http_api_key",
            "An API key sent in a request header, X-API-Key unless `settings.header` says "
            "otherwise (http_request auth 'api_key').",
            secret_fields=("value",),
            settings=("header", _TEST_URL),
            setting_defaults={"header": "X-API-Key"},
            primary="value",
            http=True,
        ),
        CredentialType(
            "api_key",
            "One API key (`key`) for nodes that place it themselves.",
            secret_fields=("key",),
            primary="key",
        ),
        CredentialType(
            "generic",
            "Any secret fields (up to 20), for nodes and code that name their own.",
            any_fields=True,
        ),
    )
}
"""Every credential type, by name."""


def credential_type(name: str) -> CredentialType:
    """The type called ``name``; a 422 listing the known ones otherwise."""
    found = CREDENTIAL_TYPES.get(name)
    if found is None:
        raise UnprocessableError(
            f"unknown credential type {name[:100]!r}; use one of: {', '.join(CREDENTIAL_TYPES)}",
            field="type",
        )
    return found
