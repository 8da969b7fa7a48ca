"""Find the line of a spec problem (``nodes[http1].config.url``) in the JSON file it came from."""

from __future__ import annotations

import json
import re

__all__ = ["line_of"]

_PART = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def line_of(text: str, loc: str) -> int | None:
    """The 1-based line where ``loc`` points in ``text``, best effort (None if not found).

    Each part of the location is searched for after the previous one: a key as
    ``"key"``, an ``[id]`` as the ``"id": "<id>"`` of a list item, ``[n]`` as the n-th
    item's id when the list items have ids.
    """
    pos = 0
    found = False
    for match in _PART.finditer(loc):
        index, key = match.group(1), match.group(2)
        if key is not None:
            needle = re.compile(re.escape(json.dumps(key)) + r"\s*:")
        elif index is not None and not index.isdigit():
            needle = re.compile(r'"id"\s*:\s*' + re.escape(json.dumps(index)))
        else:
            continue
        hit = needle.search(text, pos)
        if hit is None:
            break
        pos, found = hit.start(), True
    return text.count("\n", 0, pos) + 1 if found else None
