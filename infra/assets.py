"""Lambda assets: one folder per function under ``build/lambda/<function>/``, no Docker.

``make lambda-assets`` (``python -m infra.assets build``) does, in order:

1. resolve, for each function, the runtime dependencies of ``pyproject.toml`` it uses
   (less those only the local stack uses, :data:`LOCAL_ONLY`, and those only some
   functions import, :data:`ONLY_FOR`) for CPython 3.12 on ``manylinux2014_aarch64``,
   pinned to the versions of ``requirements/runtime.txt``;
2. install the union of those closures once, from the hashes of that lock, binary
   wheels only, with ``boto3``/``botocore``/``s3transfer`` left to the Lambda runtime;
3. trim it (:func:`trim`): ``tests/`` folders, ``*.pyi`` stubs, code the runtime never
   loads (:data:`NEVER_LOADED`) and the debug symbols of native extensions;
4. precompile the dependencies *sourceless* with python3.12 (``compileall -b``, then
   the ``.py`` removed: a third-party frame of a traceback shows no source line, which
   saves ~27 MB for the API), and ``functions/``/``orcheo_core/`` with their sources kept
   (``__pycache__``), so Orcheo's own frames keep theirs. ``--invalidation-mode
   unchecked-hash``: the asset zip keeps no file times, and Lambda's read-only
   ``/var/task`` could not rewrite a stale time-stamped ``.pyc``;
5. hard-link into each function's folder the files of the distributions in its own
   closure (from their ``RECORD``), and the code.

So the folders differ (the API alone carries FastAPI; the WebSocket and telemetry
functions carry no Encryption SDK); CDK hashes identical folders to one asset. Nothing
here imports ``functions`` or ``orcheo_core``: they are files to copy.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
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
    "NEVER_LOADED",
    "ONLY_FOR",
    "PROVIDED",
    "build",
    "lambda_requirements",
    "placeholder_assets",
    "require_assets",
    "trim",
]

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "lambda"
HOST_OUT = ROOT / "build" / "lambda-host"
"""``build --host``: the same assets for this machine's CPU, to import them in tests."""
CODE = ("functions", "orcheo_core")
PLATFORM = "aarch64-manylinux2014"
PYTHON_VERSION = "3.12"
LOCAL_ONLY = frozenset({"uvicorn", "websockets", "typer", "rich", "pyseccomp", "mini-racer"})
"""Runtime dependencies only the local stack and the CLI use: not in a Lambda (on AWS user
code runs in process mode inside Firecracker, without seccomp; JavaScript Code is local
only for now)."""
PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
"""Shipped by the python3.12 Lambda runtime; bundling them would only add size."""
ONLY_FOR: dict[str, frozenset[str]] = {
    "fastapi": frozenset({"api"}),
    "mangum": frozenset({"api"}),
    "aws-encryption-sdk": frozenset({"api", "node_runner", "scheduler", "reconciler"}),
}
"""Top-level requirements only some functions import, and which. FastAPI and Mangum
serve the API. The Encryption SDK is the vault's (``Services.vault``, built on first
use), opened by the API's credential and webhook-secret routes, by the node runner for
a run's credentials, and by whoever reconciles a finished run (``engine.status``/
``wait``/``cancel`` on AWS redact its final state with every secret it could have
used): the API, the reconciler (it records every execution's end) and the scheduler
(its overlap guard asks a previous run's status). The
WebSocket and telemetry functions only read runs and events. Without the SDK they
drop ``cryptography`` (~11 MB stripped), attrs, wrapt, pytz and the Dafny-generated
keyring packages (~9 MB). A function that comes to reach the vault must be added here:
its asset would otherwise fail with an ImportError on the first sealed secret."""
NEVER_LOADED = (
    # CPython imports zstandard's C backend only (PYTHON_ZSTANDARD_IMPORT_POLICY
    # "default"); the CFFI one is for PyPy.
    "zstandard/_cffi.*.so",
    "zstandard/backend_cffi.py",
)
"""Files of dependencies no function can load on CPython (glob patterns)."""
_MARKER = ".orcheo-asset"
BUILT = ".built"
"""Written last by :func:`build`: its time is what :func:`stale` compares sources with."""
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lambda_requirements(
    pyproject: Path = ROOT / "pyproject.toml", function: str | None = None
) -> list[str]:
    """The top-level runtime requirements of ``function``'s Lambda, or of any Lambda.

    That is pyproject's less :data:`LOCAL_ONLY`, and for one function less the
    :data:`ONLY_FOR` entries of other functions.
    """
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    keep = []
    for dep in deps:
        match = _NAME.match(dep)
        name = _normal(match.group(1)) if match else ""
        if not name or name in LOCAL_ONLY:
            continue
        if function is None or function in ONLY_FOR.get(name, (function,)):
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


def _resolve(work: Path, requirements: list[str], target: str) -> list[str]:
    """The pinned closure (``name==version``) of ``requirements`` for 3.12, less PROVIDED."""
    top = work / "top.in"
    top.write_text("\n".join(requirements) + "\n")
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
            target,
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


def _install(pins: list[str], work: Path, target: Path, platform_tag: str) -> None:
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
            platform_tag,
            # Copies, not links into uv's cache: trim() rewrites files in place.
            "--link-mode",
            "copy",
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


def _records(site: Path) -> dict[str, list[str]]:
    """``distribution -> its files`` (relative to ``site``), from each ``RECORD``."""
    files: dict[str, list[str]] = {}
    for record in sorted(site.glob("*.dist-info/RECORD")):
        name = _normal(record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        with record.open(newline="") as rows:
            paths = [row[0] for row in csv.reader(rows) if row]
        # Scripts land outside the target (``../../bin``): no Lambda runs them.
        files[name] = [path for path in paths if not path.startswith("..")]
    return files


def _stripper(platform_tag: str) -> list[str] | None:
    """A ``strip`` that reads the target's ELF files, or None."""
    arch = platform_tag.split("-")[0]
    native = [f"{arch}-linux-gnu-strip"]
    if arch == platform.machine():
        native.append("strip")
    for tool in ("llvm-strip", *native):
        found = shutil.which(tool)
        if found:
            return [found, "--strip-unneeded"]
    return None


def _strip(strip: list[str], libraries: list[Path]) -> None:
    for library in libraries:
        # Into a new file renamed over the old: never rewrite an inode another tree shares.
        stripped = library.with_name(library.name + ".stripped")
        done = subprocess.run([*strip, str(library), "-o", str(stripped)], check=False)
        if done.returncode == 0:
            stripped.replace(library)
        else:
            stripped.unlink(missing_ok=True)


def trim(site: Path, platform_tag: str = PLATFORM) -> int:
    """Remove from the installed dependencies what no Lambda loads; the bytes saved.

    ``tests/`` folders, ``*.pyi`` stubs, :data:`NEVER_LOADED`, and the symbol tables
    and debug sections of native extensions (``strip --strip-unneeded`` keeps the
    dynamic symbols the loader uses; zstandard's C backend alone carries 9 MB of DWARF).
    """
    before = _size(site)
    for folder in sorted(site.glob("*/**/tests"), reverse=True):
        if folder.is_dir():
            shutil.rmtree(folder)
    for pattern in ("**/*.pyi", *NEVER_LOADED):
        for path in site.glob(pattern):
            path.unlink()
    strip = _stripper(platform_tag)
    libraries = [
        p for p in site.rglob("*.so*") if p.is_file() and (p.suffix == ".so" or ".so." in p.name)
    ]
    if strip is not None:
        _strip(strip, libraries)
    elif libraries:
        print(
            f"warning: no strip for {platform_tag} (llvm-strip): native extensions keep "
            "their debug symbols",
            file=sys.stderr,
        )
    return before - _size(site)


def _compileall(python: str, target: Path, *, legacy: bool) -> None:
    command = [python, "-m", "compileall", "-q", "-j", "0"]
    command += ["-b"] if legacy else []
    command += ["--invalidation-mode", "unchecked-hash", str(target)]
    subprocess.run(command, check=True)


def _precompile(site: Path, code: Path) -> bool:
    """Dependencies sourceless (``foo.pyc`` beside, ``foo.py`` removed); the code with
    its sources and ``__pycache__``."""
    python = _python312()
    if python is None:
        print(
            "warning: no python3.12 found (set PYTHON312): the asset ships without .pyc, "
            "so every cold start compiles the code",
            file=sys.stderr,
        )
        return False
    _compileall(python, site, legacy=True)
    for source in site.rglob("*.py"):
        if source.with_suffix(".pyc").is_file():
            source.unlink()
    _compileall(python, code, legacy=False)
    return True


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(source, target)


def _link_function(
    site: Path, code: Path, records: dict[str, list[str]], pins: list[str], folder: Path
) -> None:
    """Hard-link the files of ``pins``' distributions and the code into ``folder``."""
    for pin in pins:
        for path in records[_normal(pin.split("==")[0].split("[")[0])]:
            if path.endswith(".py") and not (site / path).is_file():
                path += "c"  # compiled sourceless
            if (site / path).is_file():
                _link(site / path, folder / path)
    shutil.copytree(code, folder, copy_function=os.link, dirs_exist_ok=True)


def _size(path: Path) -> int:
    return sum(f.lstat().st_size for f in path.rglob("*") if f.is_file())


def build(out: Path = OUT, platform_tag: str = PLATFORM) -> dict[str, int]:
    """Build every function's folder under ``out``; returns its size in bytes."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    stage = out / ".stage"
    if stage.exists():
        shutil.rmtree(stage)
    site, code = stage / "site", stage / "code"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        closures: dict[tuple[str, ...], list[str]] = {}
        for key in FUNCTIONS:
            requirements = tuple(lambda_requirements(function=key))
            if requirements not in closures:
                closures[requirements] = _resolve(work, list(requirements), platform_tag)
        pins = {key: closures[tuple(lambda_requirements(function=key))] for key in FUNCTIONS}
        union = sorted({pin for closure in closures.values() for pin in closure})
        _install(union, work, site, platform_tag)
    records = _records(site)
    saved = trim(site, platform_tag)
    _copy_code(code)
    _precompile(site, code)
    (code / _MARKER).write_text(f"built by infra/assets.py for {platform_tag}\n")
    sizes = {}
    for key in FUNCTIONS:
        folder = out / key
        if folder.exists():
            shutil.rmtree(folder)
        _link_function(site, code, records, pins[key], folder)
        sizes[key] = _size(folder)
    shutil.rmtree(stage)
    (out / BUILT).write_text(f"{len(union)} packages\n")
    listing = ", ".join(f"{key} {size / 1e6:.1f}" for key, size in sizes.items())
    print(
        f"==> {len(sizes)} Lambda assets in {out} ({len(union)} packages; MB unzipped: "
        f"{listing}; trimmed {saved / 1e6:.1f} MB) in {time.monotonic() - started:.0f} s"
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
    build_cmd.add_argument("--out", type=Path, help=f"default {OUT} ({HOST_OUT} with --host)")
    build_cmd.add_argument(
        "--host",
        action="store_true",
        help="for this machine's CPU instead of Lambda's arm64 (never deployed: the "
        "tests import each handler from it)",
    )
    sub.add_parser(
        "check", help="exit 1 when an asset folder is missing; warn when older than the code"
    )
    placeholders = sub.add_parser("placeholders", help="stand-in folders (never deployable)")
    placeholders.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build":
        host = f"{platform.machine()}-manylinux2014"
        build(args.out or (HOST_OUT if args.host else OUT), host if args.host else PLATFORM)
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
