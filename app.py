"""The CDK app: Orcheo's stack, configured from cdk.json context (docs/deploy.md).

``python app.py`` synthesises into ``$CDK_OUTDIR`` (``make synth``: ``cdk.out``); the
cdk CLI runs it for deploys. Set ``ORCHEO_LAMBDA_ASSETS`` / ``ORCHEO_CANVAS_DIR`` to
synthesise from other folders (the tests use placeholders).
"""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.assets import require_assets
from infra.config import StackConfig
from infra.names import IDS
from infra.stack import OrcheoStack

ROOT = Path(__file__).resolve().parent


def main() -> None:
    app = cdk.App()
    config = StackConfig.from_context(app.node.try_get_context)
    assets = Path(os.environ.get("ORCHEO_LAMBDA_ASSETS") or ROOT / "build" / "lambda")
    canvas = Path(os.environ.get("ORCHEO_CANVAS_DIR") or ROOT / "frontend" / "dist")
    require_assets(assets)
    OrcheoStack(
        app,
        IDS.STACK.format(stage=config.stage),
        config=config,
        assets=assets,
        canvas=canvas if (canvas / "index.html").is_file() else None,
        env=cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
        description="Orcheo: workflows, runs, schedules and the canvas (docs/deploy.md)",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main()
