"""`orcheo dev` as a newcomer meets it: a taken port is one clear error and no banner;
`orcheo dev --aws` saves its admin token so the CLI works without ORCHEO_TOKEN."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import HOST, REPO_ROOT, START_DEADLINE, STOP_DEADLINE, free_port

pytestmark = pytest.mark.e2e
ORCHEO = REPO_ROOT / ".venv" / "bin" / "orcheo"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHEO_")}
    return {**env, "ORCHEO_HOME": str(home), "PYTHONUNBUFFERED": "1"}


@pytest.mark.parametrize("aws", [False, True], ids=["local", "aws"])
def test_a_taken_port_is_a_clear_error_and_no_banner(tmp_path: Path, aws: bool) -> None:
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        args = ["--host", HOST, "--port", str(port), "--home", str(tmp_path / "home")]
        done = subprocess.run(
            [sys.executable, "-m", "functions.local", *args, *(["--aws"] if aws else [])],
            cwd=REPO_ROOT,
            env=_env(tmp_path / "home"),
            capture_output=True,
            text=True,
            timeout=START_DEADLINE,
            check=False,
        )
    assert done.returncode == 1, done
    assert "is running at" not in done.stdout, done.stdout
    assert f"cannot listen on {HOST}:{port}: address already in use" in done.stderr
    assert "--port 8001" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_dev_aws_saves_its_token_for_the_cli(tmp_path: Path) -> None:
    if not ORCHEO.exists():
        pytest.skip("no .venv/bin/orcheo: run `make venv` first")
    home = tmp_path / "home"
    port = free_port()
    url = f"http://{HOST}:{port}"
    logs = tmp_path / "out.log", tmp_path / "err.log"
    with logs[0].open("wb") as out, logs[1].open("wb") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "functions.local", "--aws", "--host", HOST, "--port", str(port)]
            + ["--home", str(home)],
            cwd=REPO_ROOT,
            env=_env(home),
            stdout=out,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            assert server.poll() is None, logs[1].read_text()
            try:
                if httpx.get(f"{url}/api/health", trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"still pending: {url}/api/health"
            time.sleep(0.1)
        saved = home / "emulation.json"
        assert (saved.stat().st_mode & 0o777) == 0o600
        assert json.loads(saved.read_text())["url"] == url
        # No ORCHEO_TOKEN: the CLI finds the saved one for this URL.
        listed = subprocess.run(
            [str(ORCHEO), "workflows", "list", "--json"],
            env={**_env(home), "ORCHEO_URL": url, "ORCHEO_CONFIG": str(tmp_path / "none.toml")},
            capture_output=True,
            text=True,
            timeout=START_DEADLINE,
            check=False,
        )
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout) == []
        assert str(saved) in logs[0].read_text()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=STOP_DEADLINE)
    assert not (home / "emulation.json").exists(), "removed with the emulation's data"
