"""Pure pieces of the SDK: backoff, Retry-After, config resolution, spec line finding."""

from __future__ import annotations

import email.utils
from pathlib import Path

import pytest

from orcheo_core.cli._locate import line_of
from orcheo_core.sdk._transport import RetryPolicy, retry_after_seconds
from orcheo_core.sdk.config import DEFAULT_URL, resolve_config
from orcheo_core.sdk.errors import (
    AuthenticationError,
    RateLimitedError,
    ServerError,
    error_for_status,
)


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1, "jittered"
    assert policy.delay(0, retry_after=7.0) == 7.0


def test_retry_after_in_both_forms() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_seconds(date, now=lambda: 1_000_000) == pytest.approx(30)


def test_error_bodies_become_typed_errors() -> None:
    body = {"error": {"code": "unauthorized", "message": "bad token", "details": {"a": 1}}}
    error = error_for_status(401, body)
    assert isinstance(error, AuthenticationError)
    assert (error.code, error.message, error.details) == ("unauthorized", "bad token", {"a": 1})
    limited = error_for_status(429, {}, retry_after=5)
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 5
    proxy = error_for_status(502, "<html>bad gateway</html>", method="GET", url="/x")
    assert isinstance(proxy, ServerError) and proxy.code == "server_error"


def test_config_order_flags_env_file_defaults(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('url = "http://file:1"\ntoken = "from-file"\n')
    home = tmp_path / "home"
    home.mkdir()
    (home / "admin-token").write_text("admin\n")
    env = {"ORCHEO_CONFIG": str(file), "ORCHEO_HOME": str(home)}
    assert resolve_config(env=env).url == "http://file:1"
    assert resolve_config(env=env).token == "from-file"
    env_vars = {**env, "ORCHEO_URL": "http://env:2/", "ORCHEO_TOKEN": "from-env"}
    assert (resolve_config(env=env_vars).url, resolve_config(env=env_vars).token) == (
        "http://env:2",
        "from-env",
    )
    flags = resolve_config("http://flag:3", "from-flag", env=env_vars)
    assert (flags.url, flags.token, flags.token_from) == ("http://flag:3", "from-flag", "flag")
    bare = resolve_config(env={"ORCHEO_CONFIG": str(tmp_path / "none"), "ORCHEO_HOME": str(home)})
    assert (bare.url, bare.token) == (DEFAULT_URL, "admin")


def test_spec_problems_are_found_on_their_line() -> None:
    text = """{
  "name": "x",
  "nodes": [
    {"id": "a", "type": "set_variable", "config": {}},
    {
      "id": "http1",
      "type": "http_request",
      "config": {
        "url": 5
      }
    }
  ]
}"""
    assert line_of(text, "nodes[http1].config.url") == 9
    assert line_of(text, "nodes[http1]") == 6
    assert line_of(text, "name") == 2
    assert line_of(text, "nowhere") is None


def test_the_emulation_token_is_used_for_its_url_only(tmp_path: Path) -> None:
    from orcheo_core.sdk import resolve_config

    (tmp_path / "admin-token").write_text("orch_local\n")
    (tmp_path / "emulation.json").write_text(
        '{"url": "http://127.0.0.1:8000", "token": "orch_aws"}'
    )
    env = {"ORCHEO_HOME": str(tmp_path), "ORCHEO_CONFIG": str(tmp_path / "none.toml")}
    assert resolve_config(env=env).token == "orch_aws"
    other = resolve_config("http://127.0.0.1:9000", env=env)
    assert other.token == "orch_local" and other.token_from.endswith("admin-token")


def test_docs_name_every_listing_that_answers_a_page() -> None:
    """docs/sdk.md once did not say that some `list_*` answer `Page[...]` objects."""
    import inspect

    from orcheo_core.sdk import OrcheoClient

    paged = {
        name
        for name, op in vars(OrcheoClient.__mro__[1]).items()
        if name.startswith("list_")
        and "Page[" in str(inspect.signature(op._build).return_annotation)
    }
    assert paged, "no paged listing found: the check itself is broken"
    doc = (Path(__file__).resolve().parents[3] / "docs" / "sdk.md").read_text()
    paragraph = doc[doc.index("answer a `Page[...]`") :].split("\n\n", 1)[0]
    assert {name for name in paged if f"`{name}`" in paragraph} == paged
