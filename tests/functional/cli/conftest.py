"""The CLI tier: typer's runner in this process against the real local server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import tests.functional.sdk.conftest as sdk_fixtures
from orcheo_core.cli.app import app
from orcheo_core.nodes.registry import default_registry
from tests.functional.sdk.server import ThreadedServer

# The SDK tier's fixtures: the live server (one per session) and a client for it.
live = sdk_fixtures.live
server = sdk_fixtures.server
client = sdk_fixtures.client


class Orcheo:
    """``orcheo ...`` with the test server's URL and token in the environment."""

    def __init__(self, server: ThreadedServer, home: Path) -> None:
        self.runner = CliRunner()
        self.env = {
            "ORCHEO_URL": server.url,
            "ORCHEO_TOKEN": server.token,
            "ORCHEO_CONFIG": str(home / "no-config.toml"),
            "ORCHEO_HOME": str(home),
            "COLUMNS": "250",
        }

    def __call__(self, *args: str, input: str | None = None, code: int = 0, **env: str) -> Result:
        result = self.runner.invoke(app, list(args), input=input, env={**self.env, **env})
        assert result.exit_code == code, (
            f"orcheo {' '.join(args)} exited {result.exit_code}, not {code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\n{result.exception!r}"
        )
        return result

    def json(self, *args: str, **kwargs: Any) -> Any:
        import json

        return json.loads(self(*args, "--json", **kwargs).stdout)


@pytest.fixture
def orcheo(server: ThreadedServer, tmp_path: Path) -> Iterator[Orcheo]:
    yield Orcheo(server, tmp_path)


@pytest.fixture(autouse=True)
def _registry_restored() -> Iterator[None]:
    """`orcheo run` imports a project's nodes.py, whose @register_node adds to the
    process-wide registry: in this test process, take those additions back afterwards so
    later tests (the node catalog snapshot) see the built-ins only."""
    loaded, lazy = dict(default_registry._loaded), dict(default_registry._lazy)
    yield
    default_registry._loaded, default_registry._lazy = loaded, lazy
