"""Safe templates in node config: sandboxed Jinja2, no eval, no Python internals.

A string that is exactly one ``{{ expression }}`` renders to the expression's native
value (a number stays a number); any other string containing ``{{`` or ``{%`` renders
to a string. The state is available as ``state``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from orcheo_core.errors import TemplateError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["has_template", "render_value"]

_SINGLE = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\}\}).)*)\}\}\s*$", re.DOTALL)


class _Environment(ImmutableSandboxedEnvironment):
    """``x.key`` reads a mapping's key before its attributes (``state.items`` is data)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_env = _Environment(undefined=StrictUndefined, autoescape=False)
_env.globals.clear()
_env.globals.update(
    {"range": range, "len": len, "min": min, "max": max, "sum": sum, "abs": abs, "round": round}
)


def has_template(value: Any) -> bool:
    """True if ``value`` (or anything nested in it) is a template string."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, dict):
        return any(has_template(v) for v in value.values())
    if isinstance(value, list):
        return any(has_template(v) for v in value)
    return False


@functools.lru_cache(maxsize=2048)
def _compile(source: str) -> Callable[[Mapping[str, Any]], Any]:
    match = _SINGLE.match(source)
    try:
        if match and "{{" not in match.group("expr"):
            expr = _env.compile_expression(match.group("expr"), undefined_to_none=False)
            return lambda ctx: expr(**ctx)
        template = _env.from_string(source)
        return lambda ctx: template.render(**ctx)
    except JinjaTemplateError as exc:
        raise TemplateError(f"template {source!r} does not parse: {exc}") from exc


def render_value(
    value: Any, state: Mapping[str, Any], loc: str = "", *, names: Mapping[str, Any] | None = None
) -> Any:
    """Render every template in ``value`` against ``state``; other values pass through.

    ``names`` adds more variables (e.g. ``item`` while transforming a list).
    """
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return value
        try:
            result = _compile(value)({"state": state, **(names or {})})
        except TemplateError as exc:
            raise TemplateError(f"{loc}: {exc.message}" if loc else exc.message) from exc
        except SecurityError as exc:
            where = f"{loc}: " if loc else ""
            raise TemplateError(f"{where}template {value!r} is not allowed: {exc}") from exc
        except Exception as exc:
            where = f"{loc}: " if loc else ""
            raise TemplateError(f"{where}template {value!r} failed: {exc}") from exc
        if hasattr(result, "_undefined_name"):
            raise TemplateError(f"{loc}: template {value!r} refers to a missing value")
        return result
    if isinstance(value, dict):
        return {
            k: render_value(v, state, f"{loc}.{k}" if loc else k, names=names)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [render_value(v, state, f"{loc}[{i}]", names=names) for i, v in enumerate(value)]
    return value
