"""The quickstart, command by command as docs/quickstart.md writes them, against the real
local stack (a subprocess on a free loopback port), with the ``orcheo`` command the
Makefile installs; and the same script giving the same state locally and on the server.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LocalServer

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "docs" / "quickstart.md"
ORCHEO = REPO / ".venv" / "bin" / "orcheo"


def quickstart_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", QUICKSTART.read_text(), flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def _shell(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (
        f"$ {command}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done


def test_the_quickstart_runs_as_written(tmp_path: Path) -> None:
    if not ORCHEO.exists():
        pytest.skip("no .venv/bin/orcheo: run `make venv` first")
    home = tmp_path / "user"  # the quickstart's ~ (the server keeps ~/.orcheo there)
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHEO_")}
    env["HOME"] = str(home)
    server = LocalServer(home / ".orcheo", tmp_path / "logs")
    commands = quickstart_commands()
    assert commands[0].startswith("git clone") and "make dev" in commands
    outputs: dict[str, str] = {}
    try:
        for command in commands[1:]:
            if command == "make dev":
                # What `make dev` runs once the venv exists, on a free port instead of 8000.
                server.start()
                env["ORCHEO_URL"] = server.url
                continue
            outputs[command] = _shell(command, env).stdout

        local = next(out for cmd, out in outputs.items() if " run examples/" in cmd)
        remote = next(out for cmd, out in outputs.items() if "runs start" in cmd)
        assert "▶ greet" in local and "HELLO, ADA!" in local
        assert "▶ louder" in remote and "HELLO, ADA!" in remote
        listed = next(out for cmd, out in outputs.items() if cmd.endswith("workflows list"))
        assert "hello" in listed
        token = next(out for cmd, out in outputs.items() if cmd.startswith("cat "))
        assert token.strip() == server.token

        # The same file, the same inputs: the same final state here and on the server.
        args = ["-i", "name=Ada", "-i", "shout=true", "--json"]
        here = _json(f"{ORCHEO} run examples/scripts/hello_graph.py " + " ".join(args), env)
        there = _json(f"{ORCHEO} runs start hello " + " ".join(args), env)
        assert here["status"] == there["status"] == "succeeded"
        assert here["state"] == there["state"]
    finally:
        server.close()


def _json(command: str, env: dict[str, str]) -> Any:
    return json.loads(_shell(command, env).stdout)
