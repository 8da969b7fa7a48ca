"""A custom node: a typed pydantic config, palette metadata and one `async run`.

`@register_node` adds the class to the default registry, so specs can use its type
slug like any built-in node; the config is validated (typos and bad values are errors)
before the run starts.

    .venv/bin/python examples/custom_node.py
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from _report import show
from pydantic import Field

from orcheo_core import LocalEngine, Node, NodeConfig, NodeContext, register_node


class WordStatsConfig(NodeConfig):
    source: str = Field(description="State channel holding the text.")
    top: int = Field(3, ge=1, le=20, description="How many of the most common words to keep.")
    output: str = Field("stats", description="State channel that receives the statistics.")


@register_node
class WordStatsNode(Node[WordStatsConfig]):
    type = "word_stats"
    display_name = "Word Stats"
    category = "text"
    icon = "text"
    description = "Count the words of a text and list the most common ones."
    config_model = WordStatsConfig

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> dict[str, Any]:
        words = [w.strip(".,!?").lower() for w in str(state[self.config.source]).split()]
        common = Counter(w for w in words if w).most_common(self.config.top)
        ctx.logger.info("counted %d words", len(words))
        return {self.config.output: {"words": len(words), "top": [w for w, _ in common]}}

    @classmethod
    def writes(cls, config: WordStatsConfig) -> set[str]:
        return {config.output}  # declares the output channel in the workflow state


WORKFLOW = {
    "name": "word stats",
    "state": {"text": {}},
    "nodes": [
        {"id": "stats", "type": "word_stats", "config": {"source": "text", "top": 2}},
        {
            "id": "headline",
            "type": "set_variable",
            "config": {
                "values": {
                    "headline": "{{ state.stats.words }} words, mostly "
                    "{{ state.stats.top | join(' and ') }}"
                }
            },
        },
    ],
    "edges": [
        {"source": "stats", "target": "headline"},
        {"source": "headline", "target": "END"},
    ],
}

if __name__ == "__main__":
    print("registered:", WordStatsNode.metadata()["display_name"], "->", WordStatsNode.type)
    text = "The cat saw the dog. The dog saw the cat, and the cat ran."
    result = LocalEngine().run_sync(WORKFLOW, {"text": text})
    show("custom node", result)
