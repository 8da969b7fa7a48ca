"""Lambda assets: one folder per function under ``build/lambda/<function>/``, no Docker.

``make lambda-assets`` (``python -m infra.assets build``) does, in order:

1. resolve the runtime dependencies of ``pyproject.toml`` (less those only the local
   stack uses: ``uvicorn``, ``websockets``, ``typer``, ``rich``) for CPython 3.12 on
   ``manylinux2014_aarch64``, pinned to the versions of ``requirements/runtime.txt``;
2. install them from their hashes in that lock, binary wheels only, with
   ``boto3``/``botocore``/``s3transfer`` left to the Lambda runtime;
3. add the code, ``functions/`` and ``orcheo_core/`` (Python files and package data,
   no caches);
4. precompile everything with python3.12 (``--invalidation-mode unchecked-hash``: the
   asset zip does not keep file times, so time-stamped ``.pyc`` files would be stale
   and Lambda's read-only ``/var/task`` could not rewrite them);
5. hard-link that tree into each function's folder.

Every function gets the same tree (the handler string picks the entry point): CDK
then hashes five identical folders to one asset and uploads it once. Nothing here
imports ``functions`` or ``orcheo_core``: they are files to copy.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from infra.names import FUNCTIONS

__all__ = [
    "LOCAL_ONLY",
    "PROVIDED",
    "build",
    "lambda_requirements",
    "placeholder_assets",
    "require_assets",
]

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "lambda"
CODE = ("functions", "orcheo_core")
PLATFORM = "aarch64-manylinux2014"
PYTHON_VERSION = "3.12"
LOCAL_ONLY = frozenset({"uvicorn", "websockets", "typer", "rich"})
"""Runtime dependencies only the local stack and the CLI use: not in a Lambda."""
PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
"""Shipped by the python3.12 Lambda runtime; bundling them would only add size."""
_MARKER = ".orcheo-asset"
BUILT = ".built"
"""Written last by :func:`build`: its time is what :func:`stale` compares sources with."""
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lambda_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The top-level runtime requirements a Lambda needs (pyproject less LOCAL_ONLY)."""
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    keep = []
    for dep in deps:
        match = _NAME.match(dep)
        if match and _normal(match.group(1)) not in LOCAL_ONLY:
            keep.append(dep)
    return keep


def _hashed_blocks(lock: Path) -> dict[str, str]:
    """``name -> "name==version \\ --hash=..."`` for every pin of a uv-compiled lock."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lock.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            name = _normal(line.split("==")[0].split("[")[0])
            current = blocks.setdefault(name, [])
            current.append(line)
        elif current is not None and line.strip().startswith("--hash"):
            current.append(line)
        else:
            current = None if not line.startswith(" ") else current
    return {name: "\n".join(lines).rstrip(" \\") for name, lines in blocks.items()}


def _uv() -> list[str]:
    """uv as the Makefile found it (``$UV``), else on PATH, else the bootstrapped copy."""
    if os.environ.get("UV"):
        return os.environ["UV"].split()
    found = shutil.which("uv")
    if found:
        return [found]
    local = ROOT / ".cache" / "uv-bootstrap" / "bin" / "uv"
    if local.exists():
        return [str(local)]
    return [sys.executable, "-m", "uv"]


def _python312() -> str | None:
    found = subprocess.run(
        [*_uv(), "python", "find", "--no-project", PYTHON_VERSION],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    pyenv = sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))
    candidates = (os.environ.get("PYTHON312"), shutil.which("python3.12"), found, *map(str, pyenv))
    for candidate in candidates:
        if candidate:
            probe = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
                capture_output=True,
                text=True,
                check=False,
            )
            if probe.stdout.strip() == "True":
                return candidate
    return None


def _resolve(work: Path) -> list[str]:
    """The pinned closure (``name==version``) for 3.12/aarch64, less PROVIDED."""
    top = work / "top.in"
    top.write_text("\n".join(lambda_requirements()) + "\n")
    out = subprocess.run(
        [
            *_uv(),
            "pip",
            "compile",
            "--quiet",
            "--no-header",
            "--no-annotate",
            "--python-version",
            PYTHON_VERSION,
            "--python-platform",
            PLATFORM,
            "--constraint",
            str(ROOT / "requirements" / "runtime.txt"),
            str(top),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = [line.strip() for line in out.splitlines() if "==" in line]
    return [p for p in pins if _normal(p.split("==")[0].split("[")[0]) not in PROVIDED]


def _install(pins: list[str], work: Path, target: Path) -> None:
    blocks = _hashed_blocks(ROOT / "requirements" / "runtime.txt")
    lines = []
    for pin in pins:
        name = _normal(pin.split("==")[0].split("[")[0])
        block = blocks.get(name)
        if block is None or not block.startswith(pin.split("[")[0]) and pin not in block:
            raise SystemExit(f"{pin} is not pinned in requirements/runtime.txt: run `make lock`")
        lines.append(block)
    hashed = work / "lambda.txt"
    hashed.write_text("\n".join(lines) + "\n")
    subprocess.run(
        [
            *_uv(),
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--require-hashes",
            "--only-binary",
            ":all:",
            "--python-version",
            PYTHON_VERSION,
            "--python-platform",
            PLATFORM,
            "--target",
            str(target),
            "-r",
            str(hashed),
        ],
        check=True,
    )


def _copy_code(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "README.md")
    for package in CODE:
        shutil.copytree(ROOT / package, target / package, ignore=ignore)


def _precompile(target: Path) -> bool:
    python = _python312()
    if python is None:
        print(
            "warning: no python3.12 found (set PYTHON312): the asset ships without .pyc, "
            "so every cold start compiles the code",
            file=sys.stderr,
        )
        return False
    subprocess.run(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(target),
        ],
        check=True,
    )
    return True


def _link_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, copy_function=os.link)


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build(out: Path = OUT) -> dict[str, int]:
    """Build every function's folder under ``out``; returns its size in bytes."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    stage = out / ".stage"
    if stage.exists():
        shutil.rmtree(stage)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pins = _resolve(work)
        _install(pins, work, stage)
    _copy_code(stage)
    _precompile(stage)
    (stage / _MARKER).write_text("built by infra/assets.py\n")
    sizes = {}
    for key in FUNCTIONS:
        folder = out / key
        if folder.exists():
            shutil.rmtree(folder)
        _link_tree(stage, folder)
        sizes[key] = _size(folder)
    shutil.rmtree(stage)
    (out / BUILT).write_text(f"{len(pins)} packages\n")
    print(
        f"==> {len(sizes)} Lambda assets in {out} ({len(pins)} packages, "
        f"{max(sizes.values()) / 1e6:.1f} MB each unzipped) in {time.monotonic() - started:.0f} s"
    )
    return sizes


def missing_assets(assets: Path) -> list[str]:
    """The functions whose folder under ``assets`` is missing."""
    return [key for key in FUNCTIONS if not (assets / key).is_dir()]


def stale(out: Path = OUT) -> str | None:
    """Why the built assets under ``out`` need a rebuild, or None when they are current."""
    missing = missing_assets(out)
    if missing:
        return f"no asset for {', '.join(missing)}"
    marker = out / BUILT
    if not marker.exists():
        return "not built by make lambda-assets"
    built = marker.stat().st_mtime
    sources = [ROOT / "requirements" / "runtime.txt", ROOT / "pyproject.toml"]
    for package in CODE:
        sources.extend((ROOT / package).rglob("*.py"))
    newer = next((s for s in sources if s.stat().st_mtime > built), None)
    return None if newer is None else f"{newer.relative_to(ROOT)} changed since the build"


def require_assets(assets: Path) -> None:
    """Stop synth with the fix when an asset folder is missing."""
    missing = missing_assets(assets)
    if missing:
        raise SystemExit(
            f"no Lambda asset for {', '.join(missing)} in {assets}: "
            "run `make lambda-assets` first (docs/deploy.md)"
        )


def placeholder_assets(out: Path) -> Path:
    """Tiny stand-in folders, one per function, for template tests that never deploy."""
    for key in FUNCTIONS:
        folder = out / key
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "PLACEHOLDER").write_text(
            f"placeholder asset for {key}: never deploy this (make lambda-assets)\n"
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.assets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build_cmd = sub.add_parser("build", help="build every Lambda asset folder")
    build_cmd.add_argument("--out", type=Path, default=OUT)
    sub.add_parser(
        "check", help="exit 1 when an asset folder is missing; warn when older than the code"
    )
    placeholders = sub.add_parser("placeholders", help="stand-in folders (never deployable)")
    placeholders.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.out)
    elif args.command == "placeholders":
        placeholder_assets(args.out)
    else:
        missing = missing_assets(OUT)
        if missing:
            print(f"==> no Lambda asset for {', '.join(missing)}: building them")
            sys.exit(1)
        reason = stale()
        if reason:
            print(
                f"==> note: the Lambda assets are older than the code ({reason}); "
                "run `make lambda-assets` before deploying"
            )


if __name__ == "__main__":
    main()
