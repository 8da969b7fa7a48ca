"""Templates in node config: native values, strings, and a sandbox with no way out."""

from __future__ import annotations

import pytest

from orcheo_core.errors import TemplateError
from orcheo_core.nodes.template import has_template, render_value


def test_single_expression_keeps_its_native_type() -> None:
    state = {"n": 2, "items": [1, 2, 3], "user": {"name": "Ada"}}
    assert render_value("{{ state.n * 10 }}", state) == 20
    assert render_value("{{ state.items }}", state) == [1, 2, 3]
    assert render_value(" {{ state.n > 1 }} ", state) is True


def test_mixed_text_renders_to_a_string_and_nests() -> None:
    state = {"user": {"name": "Ada"}, "n": 3}
    value = {"greeting": "Hi {{ state.user.name }}!", "list": ["{{ state.n }}", "x"], "k": 1}
    assert render_value(value, state) == {"greeting": "Hi Ada!", "list": [3, "x"], "k": 1}
    assert render_value("{% for i in range(state.n) %}{{ i }}{% endfor %}", state) == "012"


def test_extra_names_are_visible() -> None:
    assert render_value("{{ item.price * 2 }}", {}, names={"item": {"price": 4}}) == 8


@pytest.mark.parametrize(
    "source",
    [
        "{{ state.__class__ }}",
        "{{ state.__class__.__mro__[1].__subclasses__() }}",
        "{{ ''.__class__.__base__.__subclasses__() }}",
        "{{ state.items.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ lipsum.__globals__ }}",
        "{{ state.pop('x') }}",
    ],
)
def test_sandbox_refuses_escapes(source: str) -> None:
    with pytest.raises(TemplateError):
        render_value(source, {"x": 1}, "nodes[a].config.url")


def test_missing_value_names_the_location() -> None:
    with pytest.raises(TemplateError, match=r"nodes\[a\]\.config\.url: .*missing"):
        render_value("{{ state.nope }}", {}, "nodes[a].config.url")


def test_syntax_error_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="does not parse"):
        render_value("{{ state.a + }}", {"a": 1})


def test_has_template() -> None:
    assert has_template({"a": ["x", "{{ y }}"]})
    assert not has_template({"a": ["x", 3]})
