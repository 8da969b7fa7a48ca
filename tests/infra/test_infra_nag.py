"""cdk-nag's AwsSolutions pack finds nothing unacknowledged; each acknowledgment says why."""

from __future__ import annotations

from tests.infra.stack_synth import Synth


def test_no_unacknowledged_findings(synthesized: Synth) -> None:
    assert synthesized.findings == []


def test_every_acknowledgment_carries_a_reason(synthesized: Synth) -> None:
    assert synthesized.acknowledgments
    short = {where: why for where, why in synthesized.acknowledgments.items() if len(why) < 40}
    assert short == {}


def test_wildcard_acknowledgments_name_the_exact_wildcard(synthesized: Synth) -> None:
    """A bare IAM5 acknowledgment would also hide the next, wider wildcard."""
    bare = [where for where in synthesized.acknowledgments if where.endswith("AwsSolutions-IAM5")]
    assert bare == []
