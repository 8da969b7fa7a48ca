"""A missing snapshot fails the test that checks it; it is never re-created quietly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.snapshot_check import check_snapshot


def test_a_missing_snapshot_fails_and_is_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPDATE_SNAPSHOTS", raising=False)
    path = tmp_path / "gone.json"
    with pytest.raises(pytest.fail.Exception, match="no snapshot at .*UPDATE_SNAPSHOTS=1"):
        check_snapshot(path, "{}\n", "tests/unit/x.py")
    assert not path.exists()


def test_a_changed_snapshot_fails_showing_the_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPDATE_SNAPSHOTS", raising=False)
    path = tmp_path / "s.json"
    path.write_text('{"a": 1}\n')
    with pytest.raises(pytest.fail.Exception, match=r'\+\{"a": 2\}'):
        check_snapshot(path, '{"a": 2}\n', "tests/unit/x.py")
    assert path.read_text() == '{"a": 1}\n'


def test_update_snapshots_writes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPDATE_SNAPSHOTS", "1")
    path = tmp_path / "new" / "s.json"
    check_snapshot(path, "{}\n", "tests/unit/x.py")
    assert path.read_text() == "{}\n"


@pytest.mark.parametrize(
    ("test_file", "snapshot"),
    [
        ("tests/unit/test_spec.py", "workflow_spec.schema.json"),
        ("tests/unit/test_public_api.py", "node_catalog.json"),
    ],
)
def test_the_snapshot_tests_fail_on_a_missing_snapshot(
    tmp_path: Path, test_file: str, snapshot: str
) -> None:
    """The real snapshot tests, pointed at an empty snapshot folder, fail."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    module = test_file.removesuffix(".py").replace("/", ".")
    code = (
        "import sys, pathlib, pytest, importlib\n"
        f"m = importlib.import_module({module!r})\n"
        f"empty = pathlib.Path({str(tmp_path)!r})\n"
        "if hasattr(m, 'SNAPSHOTS'): m.SNAPSHOTS = empty\n"
        f"if hasattr(m, 'SNAPSHOT'): m.SNAPSHOT = empty / {snapshot!r}\n"
        "name = [n for n in dir(m) if n.startswith('test_') and 'snapshot' in n][0]\n"
        "try:\n    getattr(m, name)()\nexcept pytest.fail.Exception as e:\n"
        "    print('FAILED', e); sys.exit(0)\n"
        "print('PASSED'); sys.exit(1)\n"
    )
    env = {"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []
