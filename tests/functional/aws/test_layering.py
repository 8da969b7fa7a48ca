"""Only functions/backends/aws imports the AWS libraries; the local backend never loads them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
AWS_LIBRARIES = ("boto3", "botocore", "pynamodb", "aws_lambda_powertools", "mangum")


def loaded_after(statement: str) -> list[str]:
    """The AWS library modules present after ``statement``, in a fresh interpreter."""
    code = (
        f"import json, sys\n{statement}\n"
        f"print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in {AWS_LIBRARIES!r})))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_the_local_backend_and_the_ports_load_no_aws_library() -> None:
    assert loaded_after("import functions.backends.ports, functions.backends.local") == []


def test_the_aws_stores_load_pynamodb_but_no_lambda_tooling() -> None:
    loaded = loaded_after("import functions.backends.aws")
    assert "pynamodb" in loaded
    assert not [n for n in loaded if n.startswith(("aws_lambda_powertools", "mangum"))]
