"""HTTP Request: call any HTTP API."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pydantic import Field, field_validator, model_validator

from orcheo_core.errors import ConfigError, CredentialError, HttpRequestError
from orcheo_core.nodes import transport
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update
from orcheo_core.nodes.template import has_template

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["HttpRequestConfig", "HttpRequestNode"]


class HttpRequestConfig(NodeConfig):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = Field(
        "GET",
        description="The HTTP method: GET reads, POST creates, PUT/PATCH update, DELETE removes.",
    )
    url: str = Field(
        description="Address to call, starting with http:// or https://; may contain "
        "templates such as 'https://api.example.com/users/{{ state.user_id }}'."
    )
    headers: dict[str, str] = Field(
        default_factory=dict, description="Extra request headers, e.g. Accept: application/json."
    )
    query: dict[str, Any] = Field(
        default_factory=dict,
        description="Query parameters added to the URL; a list value repeats the parameter.",
    )
    body_type: Literal["none", "json", "form", "raw"] = Field(
        "none",
        description="How to send `body`: json (a JSON document), form (URL-encoded form "
        "fields), raw (text as is) or none.",
    )
    body: Any = Field(None, description="What to send; fields may be templates.")
    auth: Literal["none", "bearer", "basic", "api_key"] = Field(
        "none",
        description="How to sign in, using the credential in the node's `auth` slot: bearer "
        "token, username and password (basic), or an API key header.",
    )
    timeout: float = Field(
        30, gt=0, le=900, description="Seconds to wait for the whole response before failing."
    )
    response_format: Literal["auto", "json", "text"] = Field(
        "auto",
        description="How to read the response: auto (JSON when the server says so, else text), "
        "json or text.",
    )
    fail_on_status: bool = Field(
        True,
        description="Fail the step when the server answers with an error status (400 or "
        "above); turn off to handle errors yourself from `status`.",
    )
    output: str = Field("response", description="State channel that receives the response.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if has_template(value):
            return value  # checked again once the engine has rendered it
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"url {value!r} must be a full http:// or https:// address, "
                "e.g. https://api.example.com/items"
            )
        return value

    @model_validator(mode="after")
    def _body_fits_type(self) -> HttpRequestConfig:
        if self.body_type == "none" and self.body not in (None, "", {}):
            raise ValueError("a body is set but body_type is 'none'; choose json, form or raw")
        if self.body_type == "form" and self.body is not None and not isinstance(self.body, dict):
            raise ValueError("body_type 'form' needs the body to be fields (name -> value)")
        return self


def _field(secret: Mapping[str, str], name: str, auth: str) -> str:
    value = secret.get(name)
    if not value:
        raise CredentialError(
            f"{auth} auth needs the credential field {name!r}, but the credential in slot "
            f"'auth' has {', '.join(sorted(secret)) or 'no fields'}"
        )
    return value


async def _auth_headers(auth: str, ctx: NodeContext) -> dict[str, str]:
    if auth == "none":
        return {}
    secret = await ctx.get_credential("auth")
    if auth == "bearer":
        return {"Authorization": f"Bearer {_field(secret, 'token', auth)}"}
    if auth == "basic":
        pair = f"{_field(secret, 'username', auth)}:{secret.get('password', '')}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}
    header = secret.get("header") or "X-API-Key"
    return {header: _field(secret, "value", auth)}


def _url_and_params(url: str, query: Mapping[str, Any]) -> tuple[str, list[tuple[str, Any]]]:
    """The URL without its query string, and that query followed by ``query``'s items.

    httpx replaces a URL's query with ``params`` (even an empty one): merging here keeps
    ``https://x.test/items?page=2`` working with or without a ``query`` config.
    """
    parts = urlsplit(url)
    params: list[tuple[str, Any]] = parse_qsl(parts.query, keep_blank_values=True)
    for key, value in query.items():
        if value is None:
            continue
        encoded = _query_value(value)
        values = encoded if isinstance(encoded, list) else [encoded]
        params.extend((key, v) for v in values)
    return urlunsplit(parts._replace(query="")), params


def _query_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_query_value(v) for v in value]
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _body_args(body_type: str, body: Any) -> dict[str, Any]:
    if body_type == "json":
        return {"json": body}
    if body_type == "form" and body is not None:
        return {"data": {k: _query_value(v) for k, v in body.items()}}
    if body_type == "raw" and body is not None:
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        return {"content": text.encode("utf-8")}
    return {}


class HttpRequestNode(Node[HttpRequestConfig]):
    type = "http_request"
    display_name = "HTTP Request"
    category = "integration"
    icon = "globe"
    description = "Call a web API or website and keep its answer."
    output_description = (
        "`{status, headers, body}` in the `output` channel; body is parsed JSON or text."
    )
    credential_types = ("http_bearer", "http_basic", "http_api_key")
    config_model = HttpRequestConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        cfg = self.config
        if has_template(cfg.url):
            raise ConfigError(f"url {cfg.url!r} still contains a template after rendering")
        headers = dict(cfg.headers)
        if cfg.body_type == "raw" and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "text/plain; charset=utf-8"
        headers.update(await _auth_headers(cfg.auth, ctx))
        url, params = _url_and_params(cfg.url, cfg.query)
        response = await transport.send(
            cfg.method,
            url,
            timeout=cfg.timeout,
            headers=headers,
            params=params,
            **_body_args(cfg.body_type, cfg.body),
        )
        if cfg.fail_on_status and response.status >= 400:
            raise HttpRequestError(
                f"{cfg.method} {response.url} returned {response.status} {response.reason}: "
                f"{transport.excerpt(response.text) or '(empty body)'}",
                method=cfg.method,
                url=response.url,
                status=response.status,
            )
        body: Any
        if cfg.response_format == "json" or (cfg.response_format == "auto" and response.is_json):
            body = response.json()
        else:
            body = response.text
        return {cfg.output: {"status": response.status, "headers": response.headers, "body": body}}

    @classmethod
    def writes(cls, config: HttpRequestConfig) -> set[str]:
        return {config.output}
