"""The canvas in a real browser against the real local stack.

The browser part is ``frontend/e2e/canvas.e2e.mjs`` (playwright-core driving Debian's
chromium): it signs in, builds and runs a 4-node If/Else workflow, and walks undo/redo,
export/import and version restore. This test starts ``functions.local`` serving the
built canvas and runs that script with ``node``; `make test` builds the canvas and
installs its dependencies first. Without node, chromium or a build the test is skipped
with the reason (run `make test`, which provides them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import REPO_ROOT, LocalServer

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.e2e

FRONTEND = REPO_ROOT / "frontend"
DIST = FRONTEND / "dist"
SCRIPT = FRONTEND / "e2e" / "canvas.e2e.mjs"
# The template gallery: one file the canvas imports and this test posts to the server.
TEMPLATES = FRONTEND / "src" / "templates" / "templates.json"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
BROWSER_DEADLINE = 900.0  # generous: the walk waits for each step; this only stops a hang
# Screenshots and the page HTML of a failing step land here (git-ignored).
ARTIFACTS = REPO_ROOT / "tmp" / "artifacts"


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not CHROMIUM.is_file():
        return f"no chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
    if not (FRONTEND / "node_modules" / "playwright-core").is_dir():
        return "frontend dependencies are not installed (cd frontend && npm ci)"
    if not (DIST / "index.html").is_file():
        return "the canvas is not built (cd frontend && npm run build)"
    return None


@pytest.fixture
def canvas_server(tmp_path: Path) -> Iterator[LocalServer]:
    local = LocalServer(tmp_path / "home", tmp_path / "logs", static_dir=DIST)
    try:
        local.start()
        yield local
    finally:
        local.close()


def test_canvas_serves_the_built_app_at_root(canvas_server: LocalServer) -> None:
    missing = _missing()
    if missing:
        pytest.skip(missing)
    page = canvas_server.http.get("/")
    assert page.status_code == 200
    assert '<div id="root">' in page.text
    assert canvas_server.http.get("/api/health").json()["status"] == "ok"


def test_canvas_end_to_end_in_chromium(canvas_server: LocalServer) -> None:
    missing = _missing()
    if missing:
        pytest.skip(missing)
    env = {
        **os.environ,
        "ORCHEO_URL": canvas_server.url,
        "ORCHEO_TOKEN": canvas_server.token,
        "ARTIFACTS_DIR": str(ARTIFACTS),
        "CHROMIUM": str(CHROMIUM),
        # the browser talks to loopback only
        "NO_PROXY": "127.0.0.1,localhost",
    }
    done = subprocess.run(
        ["node", str(SCRIPT)],
        cwd=FRONTEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=BROWSER_DEADLINE,
        check=False,
    )
    print(done.stdout)
    print(done.stderr)
    assert done.returncode == 0, (
        f"the browser walk failed (artifacts in {ARTIFACTS}):\n{done.stderr}"
    )
    assert "PASS canvas e2e" in done.stdout


def test_every_template_is_a_spec_the_server_accepts(canvas_server: LocalServer) -> None:
    """Each gallery template is created as a workflow (validated, stored as version 1,
    its triggers served); the ones that need no network run to the expected end."""
    templates = json.loads(TEMPLATES.read_text())
    assert len(templates) >= 6
    http = canvas_server.http
    headers = canvas_server.headers
    made: dict[str, str] = {}
    for template in templates:
        answer = http.post(
            "/api/workflows",
            headers=headers,
            json={"name": template["name"], "spec": template["spec"]},
        )
        assert answer.status_code == 201, f"{template['id']}: {answer.text}"
        workflow = answer.json()
        assert workflow["current_version"] == 1
        made[template["id"]] = workflow["id"]
        served = http.get(f"/api/workflows/{workflow['id']}/triggers", headers=headers).json()
        wanted = {t.get("id", t["type"]) for t in template["spec"].get("triggers", [])}
        assert {t["id"] for t in served} >= wanted, template["id"]
        for trigger in served:
            if trigger["type"] == "cron":
                assert len(trigger["next_fire_times"]) == 5, template["id"]

    def final_state(template_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
        answer = http.post(
            f"/api/workflows/{made[template_id]}/runs",
            headers=headers,
            json={"inputs": inputs, "wait": True},
        )
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["status"] == "succeeded", result
        state: dict[str, Any] = result["state"]
        return state

    assert final_state("switch-by-category", {"category": "technical"})["queue"] == "engineering"
    assert final_state("switch-by-category", {"category": "legal"})["queue"] == "triage"
    assert final_state("approval-routing", {"amount": 50})["decision"] == "approved"
