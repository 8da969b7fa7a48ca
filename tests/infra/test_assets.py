"""The Lambda packaging step (infra/assets.py): what each function's asset holds.

The import tests run each handler from its own asset folder in a fresh python3.12,
with nothing else on ``sys.path`` but the standard library and what the Lambda runtime
provides (boto3, botocore, s3transfer, taken from the venv). The arm64 assets of
``make lambda-assets`` cannot load on another CPU, so on one they use the same build
for this machine (``python -m infra.assets build --host``), and skip when neither is
built.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import subprocess
from pathlib import Path

import pytest

from bench.cloud import ENV, FIRST_EVENT
from infra.assets import (
    BUILT,
    HOST_OUT,
    LOCAL_ONLY,
    OUT,
    PROVIDED,
    _python312,
    lambda_requirements,
    trim,
)
from infra.names import FUNCTIONS


def _names(requirements: list[str]) -> set[str]:
    return {r.split("[")[0].split(">")[0].split("<")[0].split("=")[0] for r in requirements}


def test_each_function_gets_only_the_top_level_requirements_it_imports() -> None:
    everything = _names(lambda_requirements())
    assert not everything & LOCAL_ONLY
    per_function = {key: _names(lambda_requirements(function=key)) for key in FUNCTIONS}
    assert {"fastapi", "mangum", "aws-encryption-sdk"} <= per_function["api"] == everything
    for key in ("node_runner", "scheduler"):
        assert per_function[key] == everything - {"fastapi", "mangum"}
    for key in ("websocket", "telemetry"):
        assert per_function[key] == everything - {"fastapi", "mangum", "aws-encryption-sdk"}


def test_trim_drops_tests_stubs_and_the_zstandard_backend_cpython_never_loads(
    tmp_path: Path,
) -> None:
    files = {
        "pkg/__init__.py": "x = 1\n",
        "pkg/__init__.pyi": "x: int\n",
        "pkg/tests/test_pkg.py": "def test(): ...\n",
        "pkg/sub/tests/__init__.py": "",
        "pkg/testing.py": "helpers = 1\n",
        "zstandard/__init__.py": "from .backend_c import *\n",
        "zstandard/backend_c.cpython-312-x86_64-linux-gnu.txt": "C backend\n",
        "zstandard/backend_cffi.py": "cffi = 1\n",
        "zstandard/_cffi.cpython-312-aarch64-linux-gnu.so": "not an ELF file\n",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)

    saved = trim(tmp_path)

    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == [
        "pkg/__init__.py",
        "pkg/testing.py",
        "zstandard/__init__.py",
        "zstandard/backend_c.cpython-312-x86_64-linux-gnu.txt",
    ]
    assert saved > 0


def _importable_assets() -> Path | None:
    """Built assets this machine can load: Lambda's own on arm64, else ``--host``'s."""
    for assets, cpu in ((OUT, "aarch64"), (HOST_OUT, platform.machine())):
        if cpu == platform.machine() and (assets / BUILT).exists():
            return assets
    return None


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """(python3.12, the assets, a folder with what the Lambda runtime provides)."""
    assets = _importable_assets()
    if assets is None:
        pytest.skip(
            f"no Lambda assets built for this machine ({platform.machine()}): run "
            "`.venv/bin/python -m infra.assets build --host` (or `make lambda-assets` on arm64)"
        )
    python = _python312()
    if python is None:
        pytest.skip("no python3.12 to import the assets with (set PYTHON312)")
    provided = tmp_path_factory.mktemp("lambda-runtime")
    for name in sorted(PROVIDED):
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations, name
        (provided / name).symlink_to(next(iter(spec.submodule_search_locations)))
    return python, assets, provided


_PROBE = """
import json, sys, sysconfig
sys.path[:0] = [{asset!r}, {provided!r}]
import {module}
{first}
allowed = ({asset!r}, {provided!r}, sysconfig.get_paths()["stdlib"])
outside = sorted(
    name for name, mod in list(sys.modules.items())
    if getattr(mod, "__file__", None) and not mod.__file__.startswith(allowed)
)
print(json.dumps(outside))
"""


@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_each_handler_imports_and_builds_its_first_event_from_its_own_asset(
    key: str, runtime: tuple[str, Path, Path]
) -> None:
    python, assets, provided = runtime
    module = FUNCTIONS[key].handler.rsplit(".", 1)[0]
    code = _PROBE.format(
        asset=str(assets / key), provided=str(provided), module=module, first=FIRST_EVENT[key]
    )
    # -I -S: no site-packages, no PYTHONPATH, not the working directory.
    env = {"PATH": os.environ["PATH"], **ENV}
    done = subprocess.run(
        [python, "-I", "-S", "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1]) == []
