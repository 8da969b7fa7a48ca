"""The canvas with big workflows: time to interactive, drag and pan frame rates.

The real local stack (``python -m functions.local``, serving the built canvas from
``frontend/dist``) is started on a free loopback port with a fresh ``ORCHEO_HOME``;
``bench/canvas_walk.mjs`` then drives Debian's chromium (headless, software rendering,
through playwright-core) against it. For each size (100, 500, 1,000 nodes) it saves a
workflow of that many nodes through the API (a 30-column grid, chained, every 10th
node an If/Else routing to the next two), opens it once untimed, then ``--repeats``
times in a fresh page:

- ``interactive_ms``: from navigation start (sign-in token already in the tab) to the
  frame in which a click on the first node shows it selected: page, scripts, catalog,
  workflow and version fetched, every node drawn and fitted in view, input answered.
- ``drag_fps``: a node in the middle is dragged back and forth for 2 s with the whole
  graph in view; frames in which it moved, per second (animation frames, counted in
  the page). ``pan_fps``: the same for dragging the background (the viewport moves).

The medians of the repeats are reported. ``--trace`` keeps a Chrome trace of the drag (or
``--phase pan``) and ``--profile`` a CPU profile of the drag, for finding where frames go.

    python -m bench canvas                      # writes bench/results/canvas.json
    python -m bench canvas --sizes 1000 --repeats 1 --no-write   # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.api import Server

RESULTS = Path(__file__).parent / "results" / "canvas.json"
REPO_ROOT = Path(__file__).resolve().parent.parent
FRONTEND = REPO_ROOT / "frontend"
WALK = Path(__file__).parent / "canvas_walk.mjs"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
TARGET_INTERACTIVE_MS = 2000
TARGET_DRAG_FPS = 30.0
WALK_DEADLINE = 900.0
_SOURCES = ("src", "index.html", "vite.config.ts", "package.json", "package-lock.json")


def _canvas_stale() -> bool:
    built = FRONTEND / "dist" / "index.html"
    if not built.is_file():
        return True
    newest = built.stat().st_mtime
    for name in _SOURCES:
        path = FRONTEND / name
        files = path.rglob("*") if path.is_dir() else [path]
        if any(f.is_file() and f.stat().st_mtime > newest for f in files):
            return True
    return False


def _prerequisites() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not CHROMIUM.is_file():
        return f"no chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
    if not (FRONTEND / "node_modules" / "playwright-core").is_dir():
        return "the canvas' node packages are missing: make canvas"
    return None


def machine() -> dict[str, Any]:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "node": node.stdout.strip(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def verdict(sizes: dict[str, Any]) -> str:
    big = sizes.get("1000")
    if big is None:
        return "1,000 nodes not measured"
    ok = big["interactive_ms"] < TARGET_INTERACTIVE_MS and big["drag_fps"] >= TARGET_DRAG_FPS
    return (
        f"1,000 nodes: interactive in {big['interactive_ms']} ms, dragging at "
        f"{big['drag_fps']} fps, panning at {big['pan_fps']} fps: "
        f"{'MEETS' if ok else 'MISSES'} the target (< {TARGET_INTERACTIVE_MS} ms, "
        f">= {TARGET_DRAG_FPS:.0f} fps)"
    )


def print_table(sizes: dict[str, Any]) -> None:
    print(
        f"{'nodes':>6} {'interactive ms':>14} {'drawn ms':>9} {'drag fps':>9} "
        f"{'pan fps':>8} {'drag p95 ms':>11} {'DOM nodes':>9}"
    )
    for n, r in sizes.items():
        print(
            f"{n:>6} {r['interactive_ms']:>14} {r['drawn_ms']:>9} {r['drag_fps']:>9} "
            f"{r['pan_fps']:>8} {r['drag_p95_frame_ms']!s:>11} {r['dom_nodes']:>9}"
        )
    print(verdict(sizes))


def run_walk(args: argparse.Namespace, url: str, token: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "ORCHEO_URL": url,
        "ORCHEO_TOKEN": token,
        "CHROMIUM": str(CHROMIUM),
        "SIZES": args.sizes,
        "REPEATS": str(args.repeats),
        "DRAG_MS": str(args.drag_ms),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    if args.trace or args.profile:
        env["TRACE_PHASE"] = args.phase
        env["TRACE" if args.trace else "PROFILE"] = str(args.trace or args.profile)
    done = subprocess.run(
        ["node", str(WALK)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WALK_DEADLINE,
        check=False,
    )
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"the browser walk failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench canvas", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--sizes", default="100,500,1000", help="node counts, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="timed page loads per size")
    parser.add_argument("--drag-ms", type=int, default=2000, help="length of each drag / pan")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    parser.add_argument("--trace", type=Path, help="keep a Chrome trace of a phase: file prefix")
    parser.add_argument("--profile", type=Path, help="keep a CPU profile of the drag: prefix")
    parser.add_argument("--phase", choices=("drag", "pan"), default="drag")
    args = parser.parse_args(argv)

    missing = _prerequisites()
    if missing:
        print(f"canvas benchmark skipped: {missing}")
        return 0
    if _canvas_stale():
        print("==> building the canvas")
        subprocess.run(["npm", "run", "--silent", "build"], cwd=FRONTEND, check=True)

    with tempfile.TemporaryDirectory(prefix="orcheo-bench-canvas-") as tmp:
        server = Server(Path(tmp) / "home")
        server.home.mkdir()
        load_before = os.getloadavg()[0]
        token = server.start()
        try:
            walk = run_walk(args, server.url, token)
        finally:
            server.stop()
        load_after = os.getloadavg()[0]

    sizes: dict[str, Any] = walk["sizes"]
    print_table(sizes)
    if not args.no_write:
        document = {
            "benchmark": "canvas",
            "command": "python -m bench canvas",
            "repeats": args.repeats,
            "drag_ms": args.drag_ms,
            "target": {
                "interactive_ms_at_1000": TARGET_INTERACTIVE_MS,
                "drag_fps_at_1000": TARGET_DRAG_FPS,
            },
            "browser": {
                "chromium": walk.get("chromium"),
                "flags": "headless, --disable-gpu (software raster), 1500x900 viewport",
            },
            "machine": machine(),
            "load_average_1min": {"before": load_before, "after": load_after},
            "verdict": verdict(sizes),
            "sizes": sizes,
        }
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote {RESULTS.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
