"""The static check of a LangGraph script: the first layer of the sandbox.

:func:`check_script` reads the source without running it and refuses what the
sandbox refuses at run time, with the line, the column and a hint, so the author
learns about a problem when submitting the script rather than when a run fails:

- a script larger than ``max_bytes``, or one that does not parse;
- an import of a module outside :data:`SCRIPT_IMPORTS` (or a relative import);
- a double-underscore attribute other than a few harmless ones (``__class__``,
  ``__dict__``, ``__globals__``, ``__subclasses__``, ``__mro__``...), a frame, code or
  traceback attribute (``gi_frame``, ``f_back``, ``f_globals``, ``tb_frame``, ``co_code``...)
  or an attribute reaching a module the script may not import (``typing.sys``);
- ``eval``, ``exec``, ``compile``, ``open``, ``__import__``, ``globals``, ``vars``,
  ``breakpoint``, ``input`` (unless the script defines a name of its own like that);
- ``getattr``/``setattr``/``delattr``/``hasattr`` and ``operator.attrgetter``/
  ``methodcaller`` with a literal name starting with ``_``, and format strings reaching
  such attributes (``"{0.__class__}".format(x)``).

It is a first layer only: names built at run time (``getattr(x, "_" + name)``) pass it
and are refused by the restricted builtins in the sandbox worker.

Example::

    try:
        check_script(source)
    except ScriptError as exc:
        print(exc.message, exc.details["line"], exc.details["hint"])
"""

from __future__ import annotations

import ast
import string
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orcheo_core.sandbox._policy import (
    BLOCKED_NAMES,
    FRAME_ATTRIBUTES,
    GETATTR_FUNCTIONS,
    MODULE_ATTRIBUTES,
    SAFE_DUNDER_ATTRIBUTES,
    SAFE_DUNDER_NAMES,
    SCRIPT_IMPORTS,
    import_allowed,
    is_dunder,
)
from orcheo_core.sandbox.errors import ScriptError

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator


__all__ = ["MAX_SCRIPT_BYTES", "SCRIPT_IMPORTS", "ScriptProblem", "check_script", "find_problems"]

# CPython 3.11 can fail ``ast.parse`` with "SystemError: AST constructor recursion depth
# mismatch" when two threads build AST objects at once (gh-106905); the node runner's
# Map iterations under moto (and threads of a warm Lambda) do. One parse at a time.
_AST_LOCK = threading.Lock()


def _parse(source: str, *, filename: str = "<unknown>", mode: str = "exec") -> Any:
    with _AST_LOCK:
        return ast.parse(source, filename=filename, mode=mode)


MAX_SCRIPT_BYTES = 256_000
"""Default size limit of a script, in bytes (UTF-8)."""

_IMPORT_HINT = (
    "imports are limited to {modules}; scripts have no network, processes or files: "
    "pass data in through the inputs and the state"
)
_DUNDER_HINT = (
    "double-underscore attributes such as __class__, __dict__ or __globals__ are not "
    "available in scripts; use type(x), isinstance() or the object's public attributes"
)
_FRAME_HINT = "frames, code objects and tracebacks cannot be inspected in scripts"
_MODULE_HINT = (
    "this reaches a module scripts may not use; import what you need from the allowed "
    "modules instead"
)
_PRIVATE_HINT = "only public attributes (names not starting with _) can be reached by name"


@dataclass(frozen=True)
class ScriptProblem:
    """One refused construct, at a 1-based line and column."""

    message: str
    line: int | None
    column: int | None
    hint: str
    reason: str

    def error(self, **extra: object) -> ScriptError:
        where = f"line {self.line}, column {self.column}: " if self.line else ""
        return ScriptError(
            f"{where}{self.message}",
            line=self.line,
            column=self.column,
            hint=self.hint,
            reason=self.reason,
            **extra,
        )


def check_script(
    source: str,
    *,
    max_bytes: int = MAX_SCRIPT_BYTES,
    allowed_imports: Collection[str] | None = SCRIPT_IMPORTS,
    subject: str = "scripts",
) -> None:
    """Raise ScriptError for the first problem of ``source`` (in source order), if any.

    ``details`` also lists every problem found (``problems``) when there are several.
    ``allowed_imports=None`` accepts any import (the Python Code node, whose runtime
    layers judge imports by what they do).
    """
    problems = find_problems(
        source, max_bytes=max_bytes, allowed_imports=allowed_imports, subject=subject
    )
    if not problems:
        return
    extra: dict[str, object] = {}
    if len(problems) > 1:
        extra["problems"] = [
            {"message": p.message, "line": p.line, "column": p.column, "reason": p.reason}
            for p in problems
        ]
    raise problems[0].error(**extra)


def find_problems(
    source: str,
    *,
    max_bytes: int = MAX_SCRIPT_BYTES,
    allowed_imports: Collection[str] | None = SCRIPT_IMPORTS,
    subject: str = "scripts",
) -> list[ScriptProblem]:
    """Every problem of ``source``, in source order (empty if it passes)."""
    size = len(source.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        return [
            ScriptProblem(
                f"the script is {size} bytes; {subject} are limited to {max_bytes} bytes",
                None,
                None,
                "keep data out of the script: pass it in through the inputs",
                "size",
            )
        ]
    try:
        tree = _parse(source, filename="<script>")
    except SyntaxError as exc:
        return [_syntax_problem(exc, source)]
    except (ValueError, MemoryError, RecursionError) as exc:
        # NUL bytes (ValueError before 3.12) or nesting too deep for the parser
        return [ScriptProblem(f"the script cannot be parsed: {exc}", None, None, "", "syntax")]
    checker = _Checker(tree, allowed_imports, subject)
    checker.visit(tree)
    return sorted(checker.problems, key=lambda p: (p.line or 0, p.column or 0))


def _syntax_problem(exc: SyntaxError, source: str) -> ScriptProblem:
    line = exc.lineno
    text = (exc.text or "").strip()
    if not text and line and 0 < line <= len(source.splitlines()):
        text = source.splitlines()[line - 1].strip()
    shown = f": {text}" if text else ""
    return ScriptProblem(
        f"syntax error: {exc.msg}{shown}",
        line,
        exc.offset,
        "fix the syntax at this place; the script must run with `python script.py`",
        "syntax",
    )


def _bound_names(tree: ast.AST) -> set[str]:
    """Names the script binds anywhere (so ``input = state["input"]`` is not the builtin)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).partition(".")[0])
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
    return names


def _format_fields(text: str) -> Iterator[str]:
    """The attribute and key parts of every replacement field of a format string."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return
    for _, field, spec, _ in parsed:
        if field:
            yield from field.replace("[", ".").replace("]", "").split(".")[1:]
        if spec and "{" in spec:
            yield from _format_fields(spec)


class _Checker(ast.NodeVisitor):
    def __init__(
        self, tree: ast.AST, allowed_imports: Collection[str] | None, subject: str
    ) -> None:
        self.allowed = allowed_imports
        self.subject = subject
        self.bound = _bound_names(tree)
        self.problems: list[ScriptProblem] = []
        self.prefix = ""

    def add(
        self,
        node: ast.AST,
        message: str,
        hint: str,
        reason: str,
        *,
        at: tuple[int | None, int | None] | None = None,
    ) -> None:
        if at is None:
            offset = getattr(node, "col_offset", None)
            at = (getattr(node, "lineno", None), None if offset is None else offset + 1)
        self.problems.append(ScriptProblem(f"{self.prefix}{message}", *at, hint, reason))

    # imports

    def _check_module(self, node: ast.AST, name: str) -> None:
        if not import_allowed(name, self.allowed):
            shown = ", ".join(p.removesuffix(".*") for p in self.allowed or ())
            self.add(
                node,
                f"import of {name!r} is not allowed in {self.subject}",
                _IMPORT_HINT.format(modules=shown),
                "import",
            )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.add(
                node,
                "relative imports are not allowed in scripts",
                "a script is a single file: import from the allowed modules",
                "import",
            )
            return
        module = node.module or ""
        self._check_module(node, module)
        for alias in node.names:
            if alias.name.startswith("_") and module != "__future__":
                self.add(
                    node,
                    f"importing the private name {alias.name!r} from {module!r} is not allowed",
                    _PRIVATE_HINT,
                    "import",
                )

    # attributes and names

    def _check_attribute_name(
        self, node: ast.AST, attr: str, at: tuple[int | None, int | None] | None
    ) -> None:
        if attr in FRAME_ATTRIBUTES:
            hint = _FRAME_HINT
        elif attr in MODULE_ATTRIBUTES:
            hint = _MODULE_HINT
        elif is_dunder(attr) and attr not in SAFE_DUNDER_ATTRIBUTES:
            hint = _DUNDER_HINT
        else:
            return
        self.add(node, f"the attribute .{attr} is not allowed", hint, "attribute", at=at)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        at = None
        if node.end_lineno is not None and node.end_col_offset is not None:
            at = (node.end_lineno, node.end_col_offset - len(node.attr) + 1)  # the name itself
        self._check_attribute_name(node, node.attr, at)
        self.generic_visit(node)

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        for attr in node.kwd_attrs:  # case C(__class__=x) reads an attribute
            self._check_attribute_name(node, attr, None)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if isinstance(node.ctx, ast.Load) and name in BLOCKED_NAMES and name not in self.bound:
            hint = BLOCKED_NAMES[name]
            self.add(node, f"{name}() is not available in {self.subject}", hint, "call")
        elif is_dunder(name) and name not in SAFE_DUNDER_NAMES and name not in BLOCKED_NAMES:
            self.add(node, f"the name {name} is not allowed", _DUNDER_HINT, "name")

    # calls that take attribute names as strings

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in GETATTR_FUNCTIONS and len(node.args) >= 2:
            self._check_literal_names(node, str(name), [node.args[1]])
        elif name in ("attrgetter", "methodcaller") and node.args:
            names = node.args if name == "attrgetter" else node.args[:1]
            self._check_literal_names(node, str(name), names)
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in ("format", "format_map")
            and isinstance(func.value, ast.Constant)
            and isinstance(func.value.value, str)
            and any(part.startswith("_") for part in _format_fields(func.value.value))
        ):
            self.add(
                node,
                "a format string that reaches a private attribute is not allowed",
                _PRIVATE_HINT,
                "attribute",
            )
        self.generic_visit(node)

    def _check_literal_names(self, node: ast.Call, function: str, args: list[ast.expr]) -> None:
        for arg in args:
            if (
                isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and any(part.startswith("_") for part in arg.value.split("."))
            ):
                self.add(
                    node,
                    f"{function}() with the private name {arg.value!r} is not allowed",
                    _PRIVATE_HINT,
                    "attribute",
                )

    # string annotations are evaluated by typing/pydantic/LangGraph: check them as code

    def _check_annotation(self, annotation: ast.expr | None) -> None:
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                inner = _parse(annotation.value, mode="eval")
            except SyntaxError:
                return  # typing reports it when the annotation is read
            for sub in ast.walk(inner):
                ast.copy_location(sub, annotation)
                # place problems at the string: not at a span inside it
                setattr(sub, "end_lineno", None)  # noqa: B010
                setattr(sub, "end_col_offset", None)  # noqa: B010
            self.prefix = "in a string annotation: "
            try:
                self.visit(inner)
            finally:
                self.prefix = ""

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_annotation(node.annotation)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        self._check_annotation(node.annotation)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check_annotation(node.returns)
        self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check_annotation(node.returns)
        self.generic_visit(node)
