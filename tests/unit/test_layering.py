"""Imports point one way: orcheo_core loads no web framework, AWS SDK, CDK or service code.

Each check runs in a fresh interpreter, so modules the test session already imported
cannot hide (or fake) a violation.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = (
    "fastapi",
    "starlette",
    "mangum",
    "boto3",
    "botocore",
    "aws_cdk",
    "functions",
    "infra",
)


def run_fresh(code: str) -> Any:
    """Run ``code`` in a new interpreter from the repo root; return the JSON it prints."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"subprocess failed:\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_core_and_every_top_level_module_import_no_service_or_aws_code() -> None:
    # Top-level modules are found with pkgutil, so a new subpackage is covered the day
    # it appears. Each entry lists the forbidden modules present after that import.
    report = run_fresh(
        f"""
        import importlib, json, pkgutil, sys

        forbidden = {FORBIDDEN!r}

        def loaded():
            return sorted(
                name for name in sys.modules
                if any(name == f or name.startswith(f + ".") for f in forbidden)
            )

        import orcheo_core
        report = {{"orcheo_core": loaded()}}
        for info in pkgutil.iter_modules(orcheo_core.__path__):
            if info.name == "__main__":
                continue
            name = "orcheo_core." + info.name
            importlib.import_module(name)
            report[name] = loaded()
        print(json.dumps(report))
        """
    )
    # Guards against a discovery bug turning this into a test that cannot fail.
    assert "orcheo_core.nodes" in report, f"pkgutil found too little: {sorted(report)}"
    leaks = {module: found for module, found in report.items() if found}
    assert leaks == {}, (
        "orcheo_core must not import service, AWS or CDK code at import time "
        "(import boto3 lazily inside AWS-specific functions; keep FastAPI in functions/): "
        f"{leaks}"
    )


def test_importing_nodes_loads_no_builtin_node_module() -> None:
    # The registry imports a built-in node's module on first use only: cold start.
    report = run_fresh(
        """
        import json, sys
        import orcheo_core.nodes
        from orcheo_core.nodes.registry import BUILTIN_NODES

        modules = sorted({target.partition(":")[0] for target in BUILTIN_NODES.values()})
        print(json.dumps({
            "builtin": modules,
            "loaded": [m for m in modules if m in sys.modules],
        }))
        """
    )
    assert "orcheo_core.nodes.http_request" in report["builtin"], report["builtin"]
    assert report["loaded"] == [], (
        f"`import orcheo_core.nodes` eagerly imported built-in node modules {report['loaded']}; "
        "reach them through the registry (BUILTIN_NODES) instead"
    )


def test_the_registry_loads_a_builtin_node_module_on_first_use() -> None:
    # Proves the test above watches the right module names: asking the registry for a
    # built-in node (one whose module exists already) must import exactly that module.
    report = run_fresh(
        """
        import importlib.util, json, sys
        from orcheo_core.nodes.registry import BUILTIN_NODES, default_registry

        present = [
            (node_type, target.partition(":")[0])
            for node_type, target in sorted(BUILTIN_NODES.items())
            if importlib.util.find_spec(target.partition(":")[0]) is not None
        ]
        node_type, module = present[0]
        before = module in sys.modules
        default_registry.get(node_type)
        print(json.dumps({"module": module, "before": before, "after": module in sys.modules}))
        """
    )
    assert (report["before"], report["after"]) == (False, True), report
