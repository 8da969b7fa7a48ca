"""The service's logic: what the API routes (and later the Lambda handlers) call.

Routes parse the request, call one function here, and serialise the answer. The
functions take a :class:`Services` bundle of ports, so the same logic runs on the
local stack and on AWS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from functions.backends.ports import (
        CredentialStore,
        Engine,
        EventBus,
        RunStore,
        Scheduler,
        TokenStore,
        TriggerState,
        WorkflowStore,
    )
    from functions.service.tokens import TokenCache
    from functions.settings import Settings
    from orcheo_core.nodes.registry import NodeRegistry
    from orcheo_core.sandbox import ScriptSandbox
    from orcheo_core.vault import Vault

__all__ = ["Services"]


@dataclass
class Services:
    """Every port the service logic uses, wired once at start-up."""

    settings: Settings
    workflows: WorkflowStore
    runs: RunStore
    credentials: CredentialStore
    tokens: TokenStore
    trigger_state: TriggerState
    bus: EventBus
    engine: Engine
    scheduler: Scheduler | None = None
    registry: NodeRegistry | None = None
    clock: Callable[[], float] = time.time
    token_cache: TokenCache = field(default_factory=lambda: _token_cache())
    vault_factory: Callable[[], Vault] | None = field(default=None, repr=False)
    """Builds the vault on first use: the AWS Encryption SDK takes ~1.5 s to import."""
    script_sandbox: ScriptSandbox | None = field(default=None, repr=False)
    """Where LangGraph scripts are checked and run, out of this process (made on first use)."""
    _catalog: list[dict[str, Any]] | None = field(default=None, repr=False)
    _vault: Vault | None = field(default=None, repr=False)

    @property
    def vault(self) -> Vault:
        """The vault that seals and opens credential secrets."""
        if self._vault is None:
            if self.vault_factory is None:
                from orcheo_core.errors import ConfigError

                raise ConfigError("this service has no vault configured (Services.vault_factory)")
            self._vault = self.vault_factory()
        return self._vault

    @property
    def scripts(self) -> ScriptSandbox:
        """The sandbox that extracts and runs LangGraph scripts."""
        if self.script_sandbox is None:
            from orcheo_core.sandbox import ScriptSandbox

            self.script_sandbox = ScriptSandbox()
        return self.script_sandbox

    def node_catalog(self) -> list[dict[str, Any]]:
        """Metadata and config schema of every node type (built once: it does not change)."""
        if self._catalog is None:
            from orcheo_core.nodes.registry import default_registry

            self._catalog = (self.registry or default_registry).catalog()
        return self._catalog


def _token_cache() -> TokenCache:
    from functions.service.tokens import TokenCache

    return TokenCache()
