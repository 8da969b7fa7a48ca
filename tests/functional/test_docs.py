"""The examples in the README and docs run as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

from orcheo_core import LocalEngine
from orcheo_core.spec import validate_spec

ROOT = Path(__file__).resolve().parents[2]


def _blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", path.read_text(), flags=re.DOTALL)


def test_readme_python_snippet_prints_what_it_says(capsys) -> None:  # type: ignore[no-untyped-def]
    (snippet,) = _blocks(ROOT / "README.md", "python")
    exec(compile(snippet, "README.md", "exec"), {})
    claimed = re.search(r"# (\{.*\})", snippet)
    assert claimed is not None
    assert capsys.readouterr().out.strip() == claimed.group(1)


def test_concepts_spec_example_is_valid_and_runs() -> None:
    (example,) = _blocks(ROOT / "docs" / "concepts.md", "json")
    spec = json.loads(example)
    report = validate_spec(spec)
    assert report.ok, report.errors
    result = LocalEngine().run_sync(spec, {"amount": 100})
    assert result.state == {"amount": 100, "total": 120.0, "size": "big", "sizes": []}


def test_readme_curl_example_creates_a_valid_workflow() -> None:
    (body,) = re.findall(r"-d '(\{.*?\})' \\", (ROOT / "README.md").read_text())
    request = json.loads(body)
    assert validate_spec(request["spec"]).ok
    state = LocalEngine().run_sync(request["spec"]).state
    assert state == {"name": "Ada", "greeting": "Hi Ada"}
