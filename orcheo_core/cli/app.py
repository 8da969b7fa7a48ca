"""The ``orcheo`` command: typer commands over the SDK (docs/cli.md)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from orcheo_core.cli._output import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    cli_errors,
    console,
    emit_json,
    fail,
    stderr,
    table,
)

if TYPE_CHECKING:
    from orcheo_core.engine.events import RunEvent
    from orcheo_core.sdk import OrcheoClient
    from orcheo_core.sdk.models import Event, Run

__all__ = ["app"]

app = typer.Typer(
    name="orcheo",
    help="Orcheo: run workflows locally, push them to a server, watch and manage runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
workflows_app = typer.Typer(help="Workflows and their versions.", no_args_is_help=True)
runs_app = typer.Typer(
    help="Runs: list, show, follow, start, cancel, replay.", no_args_is_help=True
)
credentials_app = typer.Typer(help="Credentials in the server's vault.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
triggers_app = typer.Typer(help="A workflow's triggers.", no_args_is_help=True)
cron_app = typer.Typer(help="Cron triggers: set, pause, resume, next.", no_args_is_help=True)
webhook_app = typer.Typer(help="Webhook triggers: set, secret.", no_args_is_help=True)
app.add_typer(workflows_app, name="workflows")
app.add_typer(runs_app, name="runs")
app.add_typer(credentials_app, name="credentials")
app.add_typer(tokens_app, name="tokens")
app.add_typer(triggers_app, name="triggers")
triggers_app.add_typer(cron_app, name="cron")
triggers_app.add_typer(webhook_app, name="webhook")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
WorkflowArg = Annotated[
    str, typer.Argument(help="A workflow id, or its name (an error if two share it).")
]
InputOpt = Annotated[
    list[str] | None,
    typer.Option("--input", "-i", help="An input as KEY=VALUE (VALUE read as JSON if it parses)."),
]
InputsOpt = Annotated[
    str | None,
    typer.Option("--inputs", help="All inputs as a JSON object, or @FILE holding one."),
]


@app.callback()
def _root(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option("--url", help="Server URL (else ORCHEO_URL, config file).")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", help="API token (else ORCHEO_TOKEN, config file, admin-token)."),
    ] = None,
) -> None:
    ctx.obj = {"url": url, "token": token}


def _client(ctx: typer.Context) -> OrcheoClient:
    from orcheo_core.sdk import OrcheoClient, resolve_config

    root = ctx.find_root().obj or {}
    config = resolve_config(root.get("url"), root.get("token"))
    return OrcheoClient(config.url, config.token)


def _inputs(pairs: list[str] | None, blob: str | None) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    if blob:
        text = Path(blob[1:]).read_text(encoding="utf-8") if blob.startswith("@") else blob
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            fail(f"--inputs is not JSON: {exc}", EXIT_USAGE)
        if not isinstance(loaded, dict):
            fail("--inputs must be a JSON object", EXIT_USAGE)
        inputs.update(loaded)
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            fail(f"--input {pair!r}: write it as KEY=VALUE", EXIT_USAGE)
        try:
            inputs[key] = json.loads(raw)
        except ValueError:
            inputs[key] = raw
    return inputs


def _dump(model: Any) -> Any:
    if isinstance(model, list):
        return [_dump(item) for item in model]
    return model.model_dump(mode="json") if hasattr(model, "model_dump") else model


def _when(ts: float | None) -> str:
    if ts is None:
        return ""
    import datetime as dt

    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------------------- events


_MARKS = {
    "node.started": "[cyan]▶[/]",
    "node.succeeded": "[green]✓[/]",
    "node.failed": "[red]✗[/]",
    "node.retrying": "[yellow]↻[/]",
    "node.event": "[dim]•[/]",
}


def print_event(kind: str, node: str | None, data: dict[str, Any]) -> None:
    """One line of live progress for a run event (local or from the server)."""
    if kind in _MARKS and node:
        text = f"  {_MARKS[kind]} {node}"
        if kind == "node.succeeded" and data.get("duration") is not None:
            text += f" [dim]({float(data['duration']) * 1000:.0f} ms)[/]"
        if kind in ("node.failed", "node.retrying") and isinstance(data.get("error"), dict):
            text += f": {data['error'].get('message', '')}"
        console.print(text, markup=True)
    elif kind == "run.started":
        console.print("[bold]run started[/]", markup=True)
    elif kind in ("run.succeeded", "run.failed", "run.cancelled"):
        status = kind.split(".", 1)[1]
        colour = "green" if status == "succeeded" else "red"
        took = data.get("duration")
        suffix = f" in {float(took):.2f} s" if took is not None else ""
        console.print(f"[bold {colour}]run {status}[/]{suffix}", markup=True)
        if isinstance(data.get("error"), dict):
            error = data["error"]
            console.print(f"  {error.get('code')}: {error.get('message')}", markup=False)


def _local_event(event: RunEvent) -> None:
    print_event(event.type, event.node, event.data)


def _remote_event(event: Event) -> None:
    print_event(event.type, event.node, event.data)


# ---------------------------------------------------------------------------- dev, init, run


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def dev(ctx: typer.Context) -> None:
    """Start the local stack on http://127.0.0.1:8000 (--host, --port, --home; --aws: on
    the AWS backends against in-process moto, data ephemeral)."""
    # Replace this process: Ctrl+C and exit codes then belong to the server itself.
    os.execv(sys.executable, [sys.executable, "-m", "functions.local", *ctx.args])


@app.command()
@cli_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the project.")],
    name: Annotated[str | None, typer.Option(help="The workflow's name.")] = None,
    force: Annotated[bool, typer.Option(help="Write into a directory that is not empty.")] = False,
) -> None:
    """Scaffold a workflow project: a script, a spec with a typed custom node, and tests."""
    from orcheo_core.cli._scaffold import scaffold

    if directory.exists() and any(directory.iterdir()) and not force:
        fail(f"{directory} is not empty", EXIT_USAGE, hint="pick a new directory or pass --force")
    written = scaffold(directory, name or directory.resolve().name)
    for path in written:
        console.print(f"  [green]created[/] {path}", markup=True)
    import shlex

    # The interpreter running orcheo has pytest beside it; a bare `python` may not.
    python = shlex.quote(sys.executable)
    console.print(
        f"\nnext: cd {shlex.quote(str(directory))} && orcheo run workflow.py -i name=Ada"
        f" && {python} -m pytest tests",
        markup=False,
    )


@app.command()
@cli_errors
def run(
    file: Annotated[Path, typer.Argument(help="A LangGraph script (.py) or a spec (.json).")],
    input: InputOpt = None,
    inputs: InputsOpt = None,
    nodes: Annotated[
        Path | None,
        typer.Option(help="A Python file of custom nodes (default: nodes.py beside a spec)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run a workflow file on this machine, with live step output.

    Scripts run in the same sandbox the server uses; specs on the local engine.
    """
    from orcheo_core.cli._local import load_nodes, run_file

    beside = file.with_name("nodes.py")
    if nodes is None and file.suffix == ".json" and beside.is_file():
        nodes = beside
    if nodes is not None:
        load_nodes(nodes)
    values = _inputs(input, inputs)
    result = run_file(file, values, (lambda _e: None) if as_json else _local_event)
    if as_json:
        emit_json(result)
    else:
        if result["error"] and result["status"] == "failed" and not result["state"]:
            error = result["error"]
            details = error.get("details") or {}
            if "line" in details:
                _show_source_problem(file, details, str(error.get("message", "")))
        if result["state"] is not None:
            console.print_json(data=result["state"])
    if result["status"] != "succeeded":
        code = (result["error"] or {}).get("code")
        raise typer.Exit(EXIT_INVALID if code in REFUSED else EXIT_FAILED)


# Errors that mean the workflow (or its inputs) was refused before a step ran: exit 3.
REFUSED = {"invalid_spec", "unknown_node_type", "invalid_config", "invalid_input", "invalid_script"}


def _show_source_problem(file: Path, details: dict[str, Any], message: str) -> None:
    line = int(details.get("line") or 0)
    column = int(details.get("column") or 0)
    stderr.print(f"{file}:{line}:{column}: {message}", markup=False)
    try:
        source = file.read_text(encoding="utf-8").splitlines()
    except OSError:
        source = []
    if 0 < line <= len(source):
        stderr.print(f"  {line:>4} | {source[line - 1]}", markup=False)
        if column:
            stderr.print("       | " + " " * (column - 1) + "^", markup=False)
    if details.get("hint"):
        stderr.print(f"hint: {details['hint']}", markup=False)


# ---------------------------------------------------------------------------- push


@app.command()
@cli_errors
def push(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A LangGraph script (.py) or a spec (.json).")],
    workflow: Annotated[
        str | None,
        typer.Option("--workflow", "-w", help="Add a version to this workflow (default: new)."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            help="The workflow's name (default: the spec's name or the file name); a "
            "workflow of that name gets a new version."
        ),
    ] = None,
    new: Annotated[
        bool, typer.Option("--new", help="Create a new workflow even if the name is taken.")
    ] = False,
    note: Annotated[str, typer.Option(help="A note for the version.")] = "",
    promote: Annotated[
        bool, typer.Option(help="Make the new version of --workflow the one that runs.")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Submit a workflow file: a new version of the workflow of that name (or of
    --workflow), or a new workflow when there is none (or with --new).

    Problems the server finds are shown with their line in the file.
    """
    from orcheo_core.cli._local import read_workflow
    from orcheo_core.sdk.errors import UnprocessableError

    kind, content = read_workflow(file)
    client = _client(ctx)
    title = name or (content.get("name") if kind == "spec" else None) or file.stem
    if workflow is not None:
        workflow = _resolve_workflow(client, workflow)
    elif not new and _named(client, title):
        workflow = _resolve_workflow(client, title)
    try:
        if workflow is None:
            if kind == "script":
                created = client.create_script_workflow(title, content)
            else:
                created = client.create_workflow(title, spec=content)
            workflow_id, number = created.id, created.latest_version
        elif kind == "script":
            version = client.create_script_version(workflow, content, note=note)
            workflow_id, number = version.workflow_id, version.number
        else:
            version = client.create_version(workflow, content, note=note)
            workflow_id, number = version.workflow_id, version.number
    except UnprocessableError as exc:
        _show_push_problems(file, kind, content, exc)
        raise typer.Exit(EXIT_INVALID) from None
    if workflow is not None and promote:
        client.promote_version(workflow_id, number)
    url = f"{client.base_url}/#/workflows/{workflow_id}"
    if as_json:
        emit_json({"workflow_id": workflow_id, "version": number, "kind": kind, "url": url})
        return
    console.print(f"pushed {file} as [bold]{workflow_id}[/] version {number}", markup=True)
    console.print(f"open it in the canvas: {client.base_url}/", markup=False)


def _show_push_problems(file: Path, kind: str, content: Any, exc: Any) -> None:
    from orcheo_core.cli._locate import line_of

    details = dict(exc.details or {})
    stderr.print(f"error: {exc.code}: {file} was refused", markup=False)
    if "line" in details:
        _show_source_problem(file, details, exc.message)
        return
    text = file.read_text(encoding="utf-8") if kind == "spec" else ""
    problems = [
        (str(p.get("loc", "")), str(p.get("message", "")))
        for p in details.get("problems") or []
        if isinstance(p, dict)
    ]
    for error in details.get("errors") or []:
        if isinstance(error, dict):
            field = str(error.get("field", ""))
            for prefix in ("body.spec.", "body.spec", "body."):
                if field.startswith(prefix):
                    field = field[len(prefix) :]
                    break
            problems.append((field, str(error.get("message", ""))))
    if not problems:
        stderr.print(f"  {exc.message}", markup=False)
    for loc, message in problems:
        line = line_of(text, loc) if text else None
        where = f"{file}:{line}" if line else str(file)
        stderr.print(f"{where}: {loc}: {message}", markup=False)


# ---------------------------------------------------------------------------- workflows


@workflows_app.command("list")
@cli_errors
def workflows_list(
    ctx: typer.Context,
    q: Annotated[str | None, typer.Option("--search", "-q", help="Search text.")] = None,
    archived: Annotated[bool, typer.Option("--all", help="Include archived ones.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Workflows, newest first."""
    page = _client(ctx).list_workflows(q=q, include_archived=archived, limit=limit)
    if as_json:
        emit_json(_dump(page.items))
        return
    table(
        ("ID", "NAME", "CURRENT", "LATEST", "ARCHIVED", "UPDATED"),
        (
            (w.id, w.name, w.current_version, w.latest_version, "yes" if w.archived else "")
            + (_when(w.updated_at),)
            for w in page.items
        ),
    )


@workflows_app.command("show")
@cli_errors
def workflows_show(ctx: typer.Context, workflow_id: WorkflowArg, as_json: JsonFlag = False) -> None:
    """A workflow and its versions."""
    client = _client(ctx)
    workflow = client.get_workflow(_resolve_workflow(client, workflow_id))
    workflow_id = workflow.id
    versions = client.list_versions(workflow_id)
    if as_json:
        emit_json({**_dump(workflow), "versions": _dump(versions)})
        return
    console.print(f"[bold]{workflow.name}[/] ({workflow.id})", markup=True)
    if workflow.description:
        console.print(workflow.description, markup=False)
    console.print(
        f"current version {workflow.current_version}, latest {workflow.latest_version}"
        + (", archived" if workflow.archived else ""),
        markup=False,
    )
    table(
        ("VERSION", "KIND", "NODES", "NOTE", "CREATED"),
        (
            (
                f"{v.number}{' *' if v.number == workflow.current_version else ''}",
                v.kind,
                len(v.spec.get("nodes") or []),
                v.note,
                _when(v.created_at),
            )
            for v in versions
        ),
    )


@workflows_app.command("export")
@cli_errors
def workflows_export(
    ctx: typer.Context,
    workflow_id: WorkflowArg,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: stdout.")] = None,
) -> None:
    """The workflow and every version as one JSON document."""
    client = _client(ctx)
    document = client.export_workflow(_resolve_workflow(client, workflow_id))
    if output is None:
        emit_json(document)
        return
    output.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    stderr.print(f"wrote {output}", markup=False)


@workflows_app.command("import")
@cli_errors
def workflows_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file made by `orcheo workflows export`.")],
    workflow_id: Annotated[str | None, typer.Option("--id", help="Import under this id.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Recreate an exported workflow, with all its versions."""
    document = json.loads(file.read_text(encoding="utf-8"))
    workflow = _client(ctx).import_workflow(document, workflow_id=workflow_id)
    if as_json:
        emit_json(_dump(workflow))
        return
    console.print(
        f"imported [bold]{workflow.id}[/] ({workflow.latest_version} versions)", markup=True
    )


@workflows_app.command("diff")
@cli_errors
def workflows_diff(
    ctx: typer.Context,
    workflow_id: WorkflowArg,
    from_version: Annotated[int, typer.Argument(metavar="FROM", help="The older version number.")],
    to_version: Annotated[int, typer.Argument(metavar="TO", help="The newer version number.")],
    as_json: JsonFlag = False,
) -> None:
    """What changed between two versions."""
    client = _client(ctx)
    diff = client.diff_versions(_resolve_workflow(client, workflow_id), from_version, to_version)
    if as_json:
        emit_json(diff)
        return
    console.print(str(diff.get("summary") or "no changes"), markup=False)
    for line in _diff_lines(diff):
        console.print(f"  {line}", markup=False)


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_lines(prefix: str, changes: Any) -> list[str]:
    """``changed <prefix> <path>: old -> new`` for each field change."""
    lines = []
    for change in changes or []:
        if isinstance(change, dict):
            old, new = _short(change.get("old")), _short(change.get("new"))
            lines.append(f"changed  {prefix}{change.get('path')}: {old} -> {new}")
    return lines


def _diff_lines(diff: dict[str, Any]) -> list[str]:
    """Each change by name: the node or edge, the field, and the values either side."""
    lines = []
    for key in ("nodes", "edges"):
        section = diff.get(key) or {}
        if not isinstance(section, dict):
            continue
        for change in ("added", "removed", "moved"):
            for item in section.get(change) or []:
                label = item if isinstance(item, str) else _short(item)
                lines.append(f"{change:<8} {key[:-1]} {label}")
        for item in section.get("changed") or []:
            if not isinstance(item, dict):
                continue
            where = item.get("id") or f"{item.get('kind')} from {item.get('source')}"
            lines += _field_lines(f"{key[:-1]} {where} ", item.get("changes"))
    lines += _field_lines("workflow ", diff.get("workflow"))
    return lines


# ---------------------------------------------------------------------------- runs


def _run_rows(runs: list[Run]) -> Any:
    for r in runs:
        took = "" if r.duration is None else f"{r.duration:.2f} s"
        yield (r.id, r.workflow_id, r.version, r.status, r.trigger, _when(r.created_at), took)


_RUN_COLUMNS = ("ID", "WORKFLOW", "VERSION", "STATUS", "TRIGGER", "CREATED", "DURATION")


@runs_app.command("list")
@cli_errors
def runs_list(
    ctx: typer.Context,
    workflow: Annotated[
        str | None, typer.Option("--workflow", "-w", help="Only this workflow's (id or name).")
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="Only runs in this status; repeat for several.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Runs, newest first."""
    client = _client(ctx)
    if workflow is not None:
        workflow = _resolve_workflow(client, workflow)
    page = client.list_runs(workflow_id=workflow, status=status, limit=limit)  # type: ignore[arg-type]
    if as_json:
        emit_json(_dump(page.items))
        return
    table(_RUN_COLUMNS, _run_rows(page.items))


@runs_app.command("show")
@cli_errors
def runs_show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A run id (see `runs list`).")],
    as_json: JsonFlag = False,
) -> None:
    """A run, its outcome and its events."""
    run = _client(ctx).get_run(run_id)
    if as_json:
        emit_json(_dump(run))
        return
    table(_RUN_COLUMNS, _run_rows([run]))
    table(
        ("SEQ", "TYPE", "NODE", "ATTEMPT", "AT"),
        ((e.seq, e.type, e.node, e.attempt, _when(e.ts)) for e in run.events),
        title="events",
    )
    if run.error:
        console.print(f"error: {run.error.get('code')}: {run.error.get('message')}", markup=False)
    if run.state is not None:
        console.print_json(data=run.state)


def _follow(ctx: typer.Context, run_id: str, as_json: bool) -> Run:
    """Print the run's events live; the run once it has ended."""
    from orcheo_core.sdk import HttpWorkflowExecutor

    client = _client(ctx)
    executor = HttpWorkflowExecutor(client.base_url, client.token, client=client)
    with stderr.status(f"following run {run_id}"):
        for event in executor.stream(run_id):
            if as_json:
                sys.stdout.write(json.dumps(_dump(event), sort_keys=True) + "\n")
                sys.stdout.flush()
            else:
                _remote_event(event)
    return client.get_run(run_id)


def _named(client: OrcheoClient, name: str) -> list[Any]:
    """Every workflow (archived ones too) whose name is exactly ``name``."""
    found, cursor = [], None
    while True:
        page = client.list_workflows(q=name, include_archived=True, limit=500, cursor=cursor)
        found += [w for w in page.items if w.name == name]
        cursor = page.next_cursor
        if not cursor:
            return found


def _resolve_workflow(client: OrcheoClient, ref: str) -> str:
    """A workflow id for ``ref``: an id, or the name of exactly one workflow. A name two
    workflows share is an error (exit 2) listing them: pass one of the ids instead."""
    from orcheo_core.sdk.errors import NotFoundError

    try:
        return client.get_workflow(ref).id
    except NotFoundError:
        named = _named(client, ref)
        if not named:
            raise
        if len(named) > 1:
            listed = ", ".join(f"{w.id} (updated {_when(w.updated_at)})" for w in named)
            fail(
                f"{len(named)} workflows are named {ref!r}: {listed}",
                EXIT_USAGE,
                hint="pass the id of the one you mean",
            )
        return str(named[0].id)


def _exit_for(run: Run) -> None:
    if run.status != "succeeded":
        raise typer.Exit(EXIT_FAILED)


@runs_app.command("tail")
@cli_errors
def runs_tail(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A run id (see `runs list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON event per line.")] = False,
) -> None:
    """Follow a run live until it ends (exit 1 if it did not succeed)."""
    run = _follow(ctx, run_id, as_json)
    if not as_json and run.state is not None:
        console.print_json(data=run.state)
    _exit_for(run)


@runs_app.command("start")
@cli_errors
def runs_start(
    ctx: typer.Context,
    workflow_id: WorkflowArg,
    input: InputOpt = None,
    inputs: InputsOpt = None,
    version: Annotated[int | None, typer.Option(help="Default: the current version.")] = None,
    follow: Annotated[bool, typer.Option(help="Show its steps live and wait for it.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Start a run of a workflow (by id or name) on the server (exit 1 if it fails)."""
    client = _client(ctx)
    workflow_id = _resolve_workflow(client, workflow_id)
    run = client.start_run(workflow_id, _inputs(input, inputs), version=version)
    if not follow:
        if as_json:
            emit_json(_dump(run))
        else:
            console.print(f"started run {run.id}", markup=False)
        return
    if not as_json:
        console.print(f"run {run.id}", markup=False)
        ended = _follow(ctx, run.id, False)
        if ended.state is not None:
            console.print_json(data=ended.state)
    else:
        from orcheo_core.sdk import HttpWorkflowExecutor

        for _ in HttpWorkflowExecutor(client.base_url, client.token, client=client).stream(run.id):
            pass
        ended = client.get_run(run.id)
        emit_json({"run_id": ended.id, "status": ended.status, "state": ended.state,
                   "error": ended.error})  # fmt: skip
    _exit_for(ended)


@runs_app.command("cancel")
@cli_errors
def runs_cancel(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A run id (see `runs list`).")],
    as_json: JsonFlag = False,
) -> None:
    """Stop a run that is still going."""
    run = _client(ctx).cancel_run(run_id)
    if as_json:
        emit_json(_dump(run))
    else:
        console.print(f"run {run.id} is {run.status}", markup=False)


@runs_app.command("replay")
@cli_errors
def runs_replay(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A run id (see `runs list`).")],
    from_step: Annotated[int | None, typer.Option(help="Resume from this recorded step.")] = None,
    follow: Annotated[bool, typer.Option(help="Show its steps live and wait for it.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Run the same version again with the recorded inputs (or from a recorded step)."""
    run = _client(ctx).replay_run(run_id, from_step=from_step)
    if as_json and not follow:
        emit_json(_dump(run))
        return
    console.print(f"replay {run.id} of {run_id}", markup=False) if not as_json else None
    ended = _follow(ctx, run.id, as_json) if follow else run
    if not as_json and ended.state is not None:
        console.print_json(data=ended.state)
    _exit_for(ended)


# ---------------------------------------------------------------------------- credentials


def _read_secret(field: str, from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = typer.prompt(f"{field}", hide_input=True)
    if not value:
        fail(f"no value for the secret field {field!r}", EXIT_USAGE)
    return value


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in values or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"{what} {pair!r}: write it as KEY=VALUE", EXIT_USAGE)
        out[key] = value
    return out


@credentials_app.command("set")
@cli_errors
def credentials_set(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The credential's name.")],
    type_: Annotated[
        str, typer.Option("--type", "-t", help="http_bearer, http_basic, api_key, ...")
    ] = "generic",
    field: Annotated[
        str | None,
        typer.Option(help="The secret field (default: the type's only one, else 'value')."),
    ] = None,
    setting: Annotated[
        list[str] | None, typer.Option("--setting", "-s", help="KEY=VALUE, not secret.")
    ] = None,
    scope: Annotated[str, typer.Option(help="global or workflow:<id>.")] = "global",
    stdin: Annotated[bool, typer.Option("--stdin", help="Read the secret from stdin.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create or update a credential. The secret is read from a hidden prompt or stdin,
    never from the command line."""
    client = _client(ctx)
    if field is None:
        kinds = {t.get("type"): t for t in client.list_credential_types()}
        names = list((kinds.get(type_) or {}).get("secret_fields") or [])
        field = str(names[0]) if len(names) == 1 else "value"
    secret = {field: _read_secret(field, stdin)}
    settings = _pairs(setting, "--setting")
    existing = next((c for c in client.list_credentials() if c.name == name), None)
    if existing is None:
        credential = client.create_credential(
            name, type_, secret, settings=settings or None, scope=scope
        )
        verb = "created"
    else:
        credential = client.update_credential(
            existing.id,
            revision=existing.revision,
            secret=secret,
            settings=settings or None,
            scope=scope,
        )
        verb = "updated"
    if as_json:
        emit_json(_dump(credential))
        return
    console.print(f"{verb} credential {credential.name} ({credential.preview})", markup=False)


@credentials_app.command("list")
@cli_errors
def credentials_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every credential (never a secret)."""
    items = _client(ctx).list_credentials()
    if as_json:
        emit_json(_dump(items))
        return
    table(
        ("ID", "NAME", "TYPE", "SCOPE", "PREVIEW", "UPDATED"),
        ((c.id, c.name, c.type, c.scope, c.preview, _when(c.updated_at)) for c in items),
    )


@credentials_app.command("test")
@cli_errors
def credentials_test(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name or id.")],
    url: Annotated[str | None, typer.Option(help="Default: the credential's test_url.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send one request signed with the credential (exit 1 if it is refused)."""
    client = _client(ctx)
    match = next((c for c in client.list_credentials() if name in (c.name, c.id)), None)
    if match is None:
        fail(f"no credential named {name!r}", 5)
    result = client.test_credential(match.id, url=url)
    if as_json:
        emit_json(_dump(result))
    else:
        mark = "[green]ok[/]" if result.ok else "[red]failed[/]"
        console.print(f"{mark} {result.status} {result.message} ({result.url})", markup=True)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


# ---------------------------------------------------------------------------- tokens


@tokens_app.command("create")
@cli_errors
def tokens_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The token's name.")],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="read, run or admin; repeat. Required."),
    ] = None,
    expires_in: Annotated[float | None, typer.Option(help="Seconds until it expires.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an API token; its secret is printed this once."""
    if not scope:
        fail(
            "say what the token may do with --scope (read, run or admin)",
            EXIT_USAGE,
            hint=f"orcheo tokens create {name} --scope read",
        )
    created = _client(ctx).create_token(name, scope, expires_in=expires_in)
    if as_json:
        emit_json(_dump(created))
        return
    console.print(f"token {created.id} ({', '.join(created.scopes)}):", markup=False)
    sys.stdout.write(created.token + "\n")
    stderr.print("store it now: it is not shown again", markup=False)


@tokens_app.command("list")
@cli_errors
def tokens_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every token (never a secret)."""
    items = _client(ctx).list_tokens()
    if as_json:
        emit_json(_dump(items))
        return
    table(
        ("ID", "NAME", "SCOPES", "PREFIX", "CREATED", "LAST USED", "REVOKED"),
        (
            (t.id, t.name, ",".join(t.scopes), t.prefix, _when(t.created_at))
            + (_when(t.last_used_at), _when(t.revoked_at))
            for t in items
        ),
    )


def _resolve_token(client: OrcheoClient, ref: str) -> str:
    """A token id for ``ref``: an id, or the name of exactly one live token."""
    tokens = client.list_tokens()
    if any(t.id == ref for t in tokens):
        return ref
    named = [t for t in tokens if t.name == ref and t.revoked_at is None]
    if len(named) > 1:
        listed = ", ".join(f"{t.id} ({','.join(t.scopes)})" for t in named)
        fail(f"{len(named)} tokens are named {ref!r}: {listed}", EXIT_USAGE, hint="pass an id")
    return named[0].id if named else ref


@tokens_app.command("revoke")
@cli_errors
def tokens_revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="A token id, or its name.")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke a token (by id or name) at once."""
    client = _client(ctx)
    token = client.revoke_token(_resolve_token(client, token_id))
    if as_json:
        emit_json(_dump(token))
    else:
        console.print(f"revoked {token.id} ({token.name})", markup=False)


# ---------------------------------------------------------------------------- triggers


@triggers_app.command("list")
@cli_errors
def triggers_list(ctx: typer.Context, workflow_id: WorkflowArg, as_json: JsonFlag = False) -> None:
    """The triggers of the workflow's current version."""
    client = _client(ctx)
    items = client.list_triggers(_resolve_workflow(client, workflow_id))
    if as_json:
        emit_json(_dump(items))
        return
    table(
        ("ID", "TYPE", "STATE", "NEXT / PATH", "DESCRIPTION"),
        (
            (
                t.id,
                t.type,
                ("paused" if t.paused else "active") if t.type == "cron" else "",
                (t.next_fire_times[0].at if t.next_fire_times else "") or (t.url_path or ""),
                t.description or "",
            )
            for t in items
        ),
    )


def _set_trigger(ctx: typer.Context, workflow_id: str, trigger: dict[str, Any]) -> str:
    """Save the current spec with ``trigger`` added (or replaced) as a new version;
    returns the workflow's id."""
    return _edit_triggers(ctx, workflow_id, trigger["id"], trigger)


def _edit_triggers(
    ctx: typer.Context, workflow_id: str, trigger_id: str, trigger: dict[str, Any] | None
) -> str:
    """A new (promoted) version of the current spec with trigger ``trigger_id`` replaced
    by ``trigger``, or removed when it is None; returns the workflow's id."""
    client = _client(ctx)
    workflow_id = _resolve_workflow(client, workflow_id)
    workflow = client.get_workflow(workflow_id)
    if workflow.current_version is None:
        fail(f"workflow {workflow_id!r} has no version yet", EXIT_INVALID)
    current = client.get_version(workflow_id, workflow.current_version)
    if current.kind != "spec":
        fail(
            "triggers live in a spec; this workflow's current version is a script",
            EXIT_INVALID,
            hint="declare them in a spec version (see docs/concepts.md#triggers)",
        )
    spec = dict(current.spec)
    before = list(spec.get("triggers") or [])
    triggers = [t for t in before if t.get("id") != trigger_id]
    if trigger is None and len(triggers) == len(before):
        known = ", ".join(str(t.get("id")) for t in before) or "none"
        fail(
            f"workflow {workflow_id!r} has no trigger {trigger_id!r} (its triggers: {known})",
            EXIT_NOT_FOUND,
        )
    spec["triggers"] = triggers if trigger is None else [*triggers, trigger]
    note = (
        f"removed trigger {trigger_id}"
        if trigger is None
        else f"set {trigger['type']} trigger {trigger_id}"
    )
    version = client.create_version(
        workflow_id, spec, note=note, base_version=workflow.latest_version
    )
    client.promote_version(workflow_id, version.number)
    console.print(f"{note}: saved as version {version.number}", markup=False)
    return workflow_id


@triggers_app.command("remove")
@cli_errors
def triggers_remove(
    ctx: typer.Context,
    workflow_id: WorkflowArg,
    trigger_id: Annotated[str, typer.Argument(help="The trigger's id (see `triggers list`).")],
) -> None:
    """Remove a trigger: a new version of the spec without it, made current."""
    _edit_triggers(ctx, workflow_id, trigger_id, None)


@cron_app.command("set")
@cli_errors
def cron_set(
    ctx: typer.Context,
    workflow_id: WorkflowArg,
    expression: Annotated[str, typer.Argument(help='e.g. "30 2 * * *".')],
    trigger_id: Annotated[str, typer.Option("--id", help="The trigger's id in the spec.")] = "cron",
    timezone: Annotated[str, typer.Option(help="An IANA time zone.")] = "UTC",
    input: InputOpt = None,
    overlap: Annotated[str, typer.Option(help="skip or allow.")] = "skip",
) -> None:
    """Add or change a cron trigger (saved as a new version)."""
    trigger = {
        "type": "cron",
        "id": trigger_id,
        "expression": expression,
        "timezone": timezone,
        "inputs": _inputs(input, None),
        "overlap": overlap,
    }
    _set_trigger(ctx, workflow_id, trigger)


def _trigger_state(ctx: typer.Context, workflow_id: str, trigger_id: str, pause: bool) -> None:
    client = _client(ctx)
    workflow_id = _resolve_workflow(client, workflow_id)
    if pause:
        trigger = client.pause_trigger(workflow_id, trigger_id)
    else:
        trigger = client.resume_trigger(workflow_id, trigger_id)
    state = "paused" if trigger.paused else "active"
    console.print(f"trigger {trigger.id} is {state}", markup=False)


@cron_app.command("pause")
@cli_errors
def cron_pause(
    ctx: typer.Context,
    workflow_id: WorkflowArg,
    trigger_id: Annotated[str, typer.Argument(help="The trigger's id.")] = "cron",
) -> None:
    """Stop a cron trigger from firing (kept across restarts)."""
    _trigger_state(ctx, workflow_id, trigger_id, True)


@cron_app.command("resume")
@cli_errors
def cron_resume(
    ctx: typer.Context,
    workflow_id: WorkflowArg,
    trigger_id: Annotated[str, typer.Argument(help="The trigger's id.")] = "cron",
) -> None:
    """Let a paused cron trigger fire again."""
    _trigger_state(ctx, workflow_id, trigger_id, False)


@cron_app.command("next")
@cli_errors
def cron_next(
    ctx: typer.Context,
    workflow_id: WorkflowArg,
    trigger_id: Annotated[str, typer.Argument(help="The trigger's id.")] = "cron",
    count: Annotated[int, typer.Option(min=1, max=100, help="How many fire times.")] = 5,
    as_json: JsonFlag = False,
) -> None:
    """The next fire times of a cron trigger."""
    client = _client(ctx)
    fires = client.next_fire_times(_resolve_workflow(client, workflow_id), trigger_id, count=count)
    if as_json:
        emit_json(_dump(fires))
        return
    console.print(f"{fires.description} ({fires.timezone})", markup=False)
    for fire in fires.next_fire_times:
        console.print(f"  {fire.at}", markup=False)


@webhook_app.command("set")
@cli_errors
def webhook_set(
    ctx: typer.Context,
    workflow_id: WorkflowArg,
    trigger_id: Annotated[
        str, typer.Option("--id", help="The trigger's id in the spec.")
    ] = "webhook",
    auth: Annotated[str, typer.Option(help="hmac (signed requests) or none.")] = "hmac",
    method: Annotated[list[str] | None, typer.Option(help="Allowed verbs; repeat.")] = None,
    response: Annotated[str, typer.Option(help="accepted, static or wait.")] = "accepted",
) -> None:
    """Add or change a webhook trigger (saved as a new version)."""
    trigger: dict[str, Any] = {
        "type": "webhook",
        "id": trigger_id,
        "auth": auth,
        "response": {"mode": response},
    }
    if method:
        trigger["methods"] = [m.upper() for m in method]
    workflow_id = _set_trigger(ctx, workflow_id, trigger)
    console.print(f"calls go to {_client(ctx).base_url}/hooks/{workflow_id}", markup=False)


@webhook_app.command("secret")
@cli_errors
def webhook_secret(
    ctx: typer.Context,
    workflow_id: WorkflowArg,
    trigger_id: Annotated[str, typer.Argument(help="The trigger's id.")] = "webhook",
    rotate: Annotated[bool, typer.Option(help="Make a new secret.")] = False,
    grace: Annotated[float, typer.Option(help="Seconds the old one keeps working.")] = 0,
) -> None:
    """Show the signing secret (the first time only) or rotate it."""
    client = _client(ctx)
    workflow_id = _resolve_workflow(client, workflow_id)
    if rotate:
        secret = client.rotate_webhook_secret(workflow_id, trigger_id, grace_seconds=grace)
    else:
        secret = client.reveal_webhook_secret(workflow_id, trigger_id)
    sys.stdout.write(secret.secret + "\n")
