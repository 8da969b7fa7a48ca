"""The ``orcheo`` command, run with typer's runner against the real local server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from orcheo_core.cli._output import (
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)
from tests.functional.cli.conftest import Orcheo
from tests.functional.sdk.conftest import GREET_SPEC
from tests.functional.sdk.server import ThreadedServer

REPO = Path(__file__).resolve().parents[3]
HELLO = REPO / "examples" / "scripts" / "hello_graph.py"


def _spec_file(tmp_path: Path, spec: dict[str, object] | None = None) -> Path:
    """The spec in a file, named after the test: the server is shared by the session's
    tests, and `push` adds a version to a workflow of the same name."""
    path = tmp_path / "greet.json"
    path.write_text(
        json.dumps({**(spec or GREET_SPEC), "name": f"greet {tmp_path.name}"}, indent=2)
    )
    return path


def test_a_script_gives_the_same_result_locally_and_on_the_server(orcheo: Orcheo) -> None:
    local = orcheo.json("run", str(HELLO), "-i", "name=Ada", "-i", "shout=true")
    pushed = orcheo.json("push", str(HELLO), "--name", "hello")
    remote = orcheo.json(
        "runs", "start", pushed["workflow_id"], "-i", "name=Ada", "-i", "shout=true"
    )
    assert local["status"] == remote["status"] == "succeeded"
    assert local["state"] == remote["state"]
    assert local["state"]["greeting"] == "HELLO, ADA!"


def test_run_shows_each_step_live(orcheo: Orcheo) -> None:
    out = orcheo("run", str(HELLO), "-i", "name=Ada", "-i", "shout=true").stdout
    assert out.index("▶ greet") < out.index("✓ greet") < out.index("▶ louder")
    assert "run succeeded" in out and '"greeting": "HELLO, ADA!"' in out


def test_a_spec_gives_the_same_result_locally_and_on_the_server(
    orcheo: Orcheo, tmp_path: Path
) -> None:
    spec = _spec_file(tmp_path)
    local = orcheo.json("run", str(spec), "-i", "name=Bea")
    pushed = orcheo.json("push", str(spec))
    remote = orcheo.json("runs", "start", pushed["workflow_id"], "--inputs", '{"name": "Bea"}')
    assert local["state"] == remote["state"] == {"name": "Bea", "greeting": "Hello Bea"}


def test_push_shows_script_problems_with_their_line(orcheo: Orcheo, tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from langgraph.graph import StateGraph\n\nimport os\n")
    result = orcheo("push", str(bad), code=EXIT_INVALID)
    assert f"{bad}:3:1:" in result.stderr and "import os" in result.stderr
    local = orcheo("run", str(bad), code=EXIT_INVALID)
    assert f"{bad}:3:1:" in local.stderr, "the local run refuses it the same way, exit 3"


def test_push_shows_spec_problems_with_their_line(orcheo: Orcheo, tmp_path: Path) -> None:
    web_node = {"id": "web", "type": "http_request", "config": {"method": "FETCH"}}
    spec = {**GREET_SPEC, "nodes": [*GREET_SPEC["nodes"], web_node]}
    path = _spec_file(tmp_path, spec)
    lines = path.read_text().splitlines()
    web = next(i for i, line in enumerate(lines, 1) if '"web"' in line)
    result = orcheo("push", str(path), code=EXIT_INVALID)
    located = [line for line in result.stderr.splitlines() if "nodes[web]" in line]
    assert located, result.stderr
    assert all(f"{path}:" in line for line in located)
    assert int(located[0].split(":")[1]) >= web


def test_workflows_list_show_export_import_diff(orcheo: Orcheo, tmp_path: Path) -> None:
    spec = _spec_file(tmp_path)
    workflow_id = orcheo.json("push", str(spec))["workflow_id"]
    changed = {**json.loads(spec.read_text()), "description": "second"}
    spec.write_text(json.dumps(changed))
    assert orcheo.json("push", str(spec), "--workflow", workflow_id)["version"] == 2

    assert workflow_id in {w["id"] for w in orcheo.json("workflows", "list")}
    assert workflow_id in orcheo("workflows", "list").stdout
    shown = orcheo.json("workflows", "show", workflow_id)
    assert [v["number"] for v in shown["versions"]] == [1, 2]
    assert "VERSION" in orcheo("workflows", "show", workflow_id).stdout
    diff = orcheo.json("workflows", "diff", workflow_id, "1", "2")
    assert diff["summary"]
    exported = tmp_path / "export.json"
    orcheo("workflows", "export", workflow_id, "-o", str(exported))
    imported = orcheo.json("workflows", "import", str(exported), "--id", f"{workflow_id}-copy")
    assert imported["id"] == f"{workflow_id}-copy" and imported["latest_version"] == 2


def test_runs_show_tail_replay_cancel(orcheo: Orcheo, tmp_path: Path) -> None:
    workflow_id = orcheo.json("push", str(_spec_file(tmp_path)))["workflow_id"]
    started = orcheo.json("runs", "start", workflow_id, "-i", "name=Cy", "--no-follow")
    tail = orcheo("runs", "tail", started["id"]).stdout
    assert "✓ greet" in tail and "run succeeded" in tail
    events = [
        json.loads(line)
        for line in orcheo("runs", "tail", started["id"], "--json").stdout.splitlines()
    ]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    shown = orcheo.json("runs", "show", started["id"])
    assert shown["state"]["greeting"] == "Hello Cy" and shown["events"]
    assert started["id"] in orcheo("runs", "list", "--workflow", workflow_id).stdout
    replay = orcheo("runs", "replay", started["id"]).stdout
    assert "run succeeded" in replay
    assert len(orcheo.json("runs", "list", "--workflow", workflow_id)) == 2
    cancelled = orcheo("runs", "cancel", started["id"], code=6)
    assert "already ended" in cancelled.stderr


def test_a_failed_run_exits_1(orcheo: Orcheo, tmp_path: Path) -> None:
    workflow_id = orcheo.json("push", str(_spec_file(tmp_path)))["workflow_id"]
    failed = orcheo("runs", "start", workflow_id, "-i", "nmae=typo", code=EXIT_FAILED)
    assert "run failed" in failed.stdout


def test_credentials_secret_comes_from_stdin_never_argv(
    orcheo: Orcheo, server: ThreadedServer
) -> None:
    secret = "s3cr3t-token-value"
    created = orcheo.json(
        "credentials", "set", "api", "--type", "http_bearer", "-s",
        f"test_url={server.url}/api/health", input=secret + "\n",
    )  # fmt: skip
    assert created["fields"] == ["token"] and secret not in json.dumps(created)
    listed = orcheo("credentials", "list").stdout
    assert "api" in listed and secret not in listed
    tested = orcheo.json("credentials", "test", "api")
    assert tested["ok"] and tested["status"] == 200
    updated = orcheo("credentials", "set", "api", "--type", "http_bearer", input="another-1\n")
    assert "updated credential api" in updated.stdout
    orcheo("credentials", "set", "empty", input="\n", code=EXIT_USAGE)


def test_tokens_create_list_revoke(orcheo: Orcheo) -> None:
    created = orcheo.json("tokens", "create", "ci", "--scope", "run")
    assert created["token"] and created["scopes"] == ["run"]
    assert created["id"] in orcheo("tokens", "list").stdout
    orcheo("workflows", "list", ORCHEO_TOKEN=created["token"])
    assert orcheo.json("tokens", "revoke", created["id"])["revoked_at"]
    denied = orcheo("workflows", "list", code=EXIT_AUTH, ORCHEO_TOKEN=created["token"])
    assert "unauthorized" in denied.stderr and "hint" in denied.stderr


def test_cron_and_webhook_triggers(orcheo: Orcheo, tmp_path: Path) -> None:
    workflow_id = orcheo.json("push", str(_spec_file(tmp_path)))["workflow_id"]
    orcheo("triggers", "cron", "set", workflow_id, "30 2 * * *", "--timezone", "Europe/Paris")
    fires = orcheo.json("triggers", "cron", "next", workflow_id, "--count", "3")
    assert len(fires["next_fire_times"]) == 3 and fires["timezone"] == "Europe/Paris"
    assert "is paused" in orcheo("triggers", "cron", "pause", workflow_id).stdout
    assert "is active" in orcheo("triggers", "cron", "resume", workflow_id).stdout
    orcheo("triggers", "webhook", "set", workflow_id, "--auth", "hmac", "--method", "post")
    kinds = {t["id"]: t["type"] for t in orcheo.json("triggers", "list", workflow_id)}
    assert kinds == {"cron": "cron", "webhook": "webhook"}
    secret = orcheo("triggers", "webhook", "secret", workflow_id).stdout.strip()
    assert secret.startswith("whsec_")


def test_exit_codes_and_config_sources(orcheo: Orcheo, tmp_path: Path) -> None:
    orcheo("workflows", "show", "no-such-workflow", code=EXIT_NOT_FOUND)
    orcheo("workflows", "list", code=EXIT_UNAVAILABLE, ORCHEO_URL="http://127.0.0.1:9")
    config = tmp_path / "config.toml"
    config.write_text(
        f'url = "{orcheo.env["ORCHEO_URL"]}"\ntoken = "{orcheo.env["ORCHEO_TOKEN"]}"\n'
    )
    orcheo("workflows", "list", ORCHEO_URL="", ORCHEO_TOKEN="", ORCHEO_CONFIG=str(config))
    orcheo("--token", "wrong", "workflows", "list", code=EXIT_AUTH)
    orcheo("run", str(tmp_path / "missing.py"), code=EXIT_INVALID)


def test_init_scaffolds_a_project_whose_tests_pass(orcheo: Orcheo, tmp_path: Path) -> None:
    project = tmp_path / "demo"
    orcheo("init", str(project))
    assert {p.name for p in project.iterdir()} >= {"workflow.py", "workflow.json", "nodes.py"}
    local = orcheo.json("run", str(project / "workflow.json"), "-i", "name=Ada")
    assert local["state"]["shout"] == "HELLO ADA!!"
    script = orcheo.json("run", str(project / "workflow.py"), "-i", "name=Ada")
    assert script["state"]["greeting"] == "Hello, Ada!"
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr
    orcheo("init", str(project), code=EXIT_USAGE)


@pytest.mark.parametrize("args", [["--help"], ["runs", "--help"], ["triggers", "cron", "--help"]])
def test_help(orcheo: Orcheo, args: list[str]) -> None:
    assert "Usage" in orcheo(*args).stdout


def test_the_orcheo_entry_point_takes_global_flags_anywhere(
    server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from orcheo_core.cli import main

    code = main(["workflows", "list", "--json", "--url", server.url, f"--token={server.token}"])
    assert code == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)
    assert main(["workflows", "list", "--url", server.url, "--token", "bad"]) == EXIT_AUTH
