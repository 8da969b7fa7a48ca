"""What a newcomer tripped over in the CLI, each pinned by a test (issue 18): names work
wherever ids do and an ambiguous name is an error, `push` to a taken name adds a
version, `run` of an invalid spec exits 3, `triggers remove`, `tokens create` needs
--scope, diffs name what changed, and every option says what it does."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import typer.main

from orcheo_core.cli._output import EXIT_INVALID, EXIT_NOT_FOUND, EXIT_USAGE
from orcheo_core.cli.app import app
from tests.functional.cli.conftest import Orcheo
from tests.functional.sdk.conftest import GREET_SPEC


def _spec(tmp_path: Path, name: str, **changes: Any) -> Path:
    spec = {**copy.deepcopy(GREET_SPEC), "name": name, **changes}
    path = tmp_path / f"{len(list(tmp_path.glob('*.json')))}.json"
    path.write_text(json.dumps(spec, indent=2))
    return path


def test_every_command_takes_a_name_where_it_takes_an_id(orcheo: Orcheo, tmp_path: Path) -> None:
    name = f"named {tmp_path.name}"
    pushed = orcheo.json("push", str(_spec(tmp_path, name)))
    shown = orcheo.json("workflows", "show", name)
    assert shown["id"] == pushed["workflow_id"]
    orcheo("triggers", "cron", "set", name, "0 3 * * *")
    assert [t["id"] for t in orcheo.json("triggers", "list", name)] == ["cron"]
    assert len(orcheo.json("triggers", "cron", "next", name, "cron")) >= 1
    run = orcheo.json("runs", "start", name, "-i", "name=Ada", "--no-follow")
    assert run["id"] in {r["id"] for r in orcheo.json("runs", "list", "--workflow", name)}
    assert orcheo.json("workflows", "diff", name, "1", "2")["summary"]
    exported = json.loads(orcheo("workflows", "export", name).stdout)
    assert shown["id"] in json.dumps(exported)


def test_push_to_a_taken_name_adds_a_version_and_new_makes_another(
    orcheo: Orcheo, tmp_path: Path
) -> None:
    name = f"twice {tmp_path.name}"
    first = orcheo.json("push", str(_spec(tmp_path, name)))
    again = orcheo.json("push", str(_spec(tmp_path, name, description="v2")))
    assert again["workflow_id"] == first["workflow_id"] and again["version"] == 2
    other = orcheo.json("push", str(_spec(tmp_path, name)), "--new")
    assert other["workflow_id"] != first["workflow_id"]


def test_an_ambiguous_name_is_an_error_listing_the_candidates(
    orcheo: Orcheo, tmp_path: Path
) -> None:
    name = f"shared {tmp_path.name}"
    ids = {orcheo.json("push", str(_spec(tmp_path, name)), "--new")["workflow_id"] for _ in "ab"}
    assert len(ids) == 2
    for args in (["runs", "start", name], ["workflows", "show", name]):
        refused = orcheo(*args, code=EXIT_USAGE)
        assert "2 workflows are named" in refused.stderr
        assert all(workflow_id in refused.stderr for workflow_id in ids), refused.stderr
    refused = orcheo("push", str(_spec(tmp_path, name)), code=EXIT_USAGE)
    assert all(workflow_id in refused.stderr for workflow_id in ids)


def test_running_an_invalid_spec_here_exits_3(orcheo: Orcheo, tmp_path: Path) -> None:
    nodes = [{"id": "greet", "type": "no_such_type", "config": {}}]
    result = orcheo("run", str(_spec(tmp_path, "bad", nodes=nodes)), code=EXIT_INVALID)
    assert "unknown node type 'no_such_type'" in result.stdout


def test_triggers_remove(orcheo: Orcheo, tmp_path: Path) -> None:
    name = f"removable {tmp_path.name}"
    orcheo.json("push", str(_spec(tmp_path, name)))
    orcheo("triggers", "cron", "set", name, "0 3 * * *", "--id", "nightly")
    orcheo("triggers", "webhook", "set", name)
    removed = orcheo("triggers", "remove", name, "nightly")
    assert "removed trigger nightly" in removed.stdout
    assert [t["id"] for t in orcheo.json("triggers", "list", name)] == ["webhook"]
    missing = orcheo("triggers", "remove", name, "nightly", code=EXIT_NOT_FOUND)
    assert "no trigger 'nightly'" in missing.stderr and "webhook" in missing.stderr
    assert orcheo.json("workflows", "show", name)["current_version"] == 4


def test_tokens_create_without_a_scope_is_refused(orcheo: Orcheo, tmp_path: Path) -> None:
    name = f"unscoped-{tmp_path.name}"
    refused = orcheo("tokens", "create", name, code=EXIT_USAGE)
    assert "--scope" in refused.stderr
    assert name not in {t["name"] for t in orcheo.json("tokens", "list")}
    created = orcheo.json("tokens", "create", name, "--scope", "run")
    assert created["scopes"] == ["run"]
    orcheo("tokens", "revoke", name)  # by name
    (token,) = [t for t in orcheo.json("tokens", "list") if t["name"] == name]
    assert token["revoked_at"] is not None


def test_diff_names_what_changed(orcheo: Orcheo, tmp_path: Path) -> None:
    name = f"diffed {tmp_path.name}"
    orcheo.json("push", str(_spec(tmp_path, name)))
    changed = copy.deepcopy(GREET_SPEC)
    changed["nodes"][0]["config"]["values"]["greeting"] = "Hi {{ state.name }}"
    orcheo.json("push", str(_spec(tmp_path, name, nodes=changed["nodes"], description="two")))
    out = orcheo("workflows", "diff", name, "1", "2").stdout
    assert "changed  node greet config.values.greeting:" in out, out
    assert '"Hello {{ state.name }}" -> "Hi {{ state.name }}"' in out, out
    assert 'changed  workflow description: "" -> "two"' in out, out


def _commands(command: Any, path: str = "orcheo") -> list[tuple[str, Any]]:
    """Every command under ``command`` (typer vendors its own click: duck typing)."""
    found = [(path, command)]
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            found += _commands(sub, f"{path} {name}")
    return found


def test_every_option_and_argument_has_help_text() -> None:
    missing = []
    for path, command in _commands(typer.main.get_command(app)):
        assert command.help, f"`{path}` has no help"
        for param in command.params:
            kind = param.param_type_name
            if kind == "option" and not param.help:
                missing.append(f"{path} {param.opts[0]}")
            if kind == "argument" and not getattr(param, "help", None):
                missing.append(f"{path} {param.name.upper() if param.name else '?'}")
    assert not missing, "no help text: " + ", ".join(missing)


def test_the_init_hint_runs_the_tests_as_printed(orcheo: Orcheo, tmp_path: Path) -> None:
    """It said `python -m pytest tests`, which fails where `python` lacks pytest/orcheo."""
    import shlex
    import subprocess

    project = tmp_path / "hinted"
    printed = orcheo("init", str(project)).stdout
    (hint,) = [line for line in printed.splitlines() if line.startswith("next: ")]
    pytest_part = hint.split(" && ")[-1]
    assert pytest_part.split()[1:] == ["-m", "pytest", "tests"]
    args = [*shlex.split(pytest_part), "-q", "-p", "no:cacheprovider"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no venv on PATH
    done = subprocess.run(
        args, cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert pytest_part.split()[0] in (project / "README.md").read_text()
