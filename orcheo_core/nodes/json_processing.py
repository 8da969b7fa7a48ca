"""JSON: query a value with JMESPath, parse JSON text, or turn a value into JSON text."""

from __future__ import annotations

import json
from typing import Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import Field, model_validator

from orcheo_core.errors import DataError
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update
from orcheo_core.nodes.template import has_template

__all__ = ["JsonProcessingConfig", "JsonProcessingNode"]


class JsonProcessingConfig(NodeConfig):
    operation: Literal["query", "parse", "serialize"] = Field(
        description="query: pick values out with a JMESPath expression; parse: turn JSON text "
        "into data; serialize: turn data into JSON text."
    )
    source: str = Field(description="State channel holding the input.")
    expression: str | None = Field(
        None,
        description="For query: a JMESPath expression, e.g. 'orders[?total > `100`].id'.",
    )
    indent: int | None = Field(
        None, ge=0, le=8, description="For serialize: spaces per indent level; empty = one line."
    )
    output: str = Field(description="State channel that receives the result.")

    @model_validator(mode="after")
    def _expression_compiles(self) -> JsonProcessingConfig:
        if self.operation != "query":
            return self
        if not self.expression or not self.expression.strip():
            raise ValueError("operation 'query' needs an `expression` (JMESPath)")
        if not has_template(self.expression):
            try:
                jmespath.compile(self.expression)
            except JMESPathError as exc:
                raise ValueError(
                    f"expression {self.expression!r} is not valid JMESPath: {exc}"
                ) from None
        return self


class JsonProcessingNode(Node[JsonProcessingConfig]):
    type = "json_processing"
    display_name = "JSON"
    category = "data"
    icon = "braces"
    description = "Query data with JMESPath, parse JSON text, or write data as JSON text."
    output_description = "The query result, parsed data or JSON text, in the `output` channel."
    config_model = JsonProcessingConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        cfg = self.config
        value = state.get(cfg.source)
        result: Any
        if cfg.operation == "query":
            assert cfg.expression is not None  # checked by the config model
            try:
                result = jmespath.search(cfg.expression, value)
            except JMESPathError as exc:
                raise DataError(
                    f"query {cfg.expression!r} failed on {cfg.source!r}: {exc}"
                ) from None
        elif cfg.operation == "parse":
            result = _parse(cfg.source, value)
        else:
            try:
                result = json.dumps(value, indent=cfg.indent, ensure_ascii=False)
            except (TypeError, ValueError) as exc:
                raise DataError(f"{cfg.source!r} cannot be written as JSON: {exc}") from None
        return {cfg.output: result}

    @classmethod
    def writes(cls, config: JsonProcessingConfig) -> set[str]:
        return {config.output}


def _parse(source: str, value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        got = "nothing" if value is None else f"a {type(value).__name__}"
        raise DataError(f"parse: {source!r} holds {got}, not JSON text")
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{source!r} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            line=exc.lineno,
            column=exc.colno,
        ) from None
