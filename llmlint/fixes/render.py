"""Render new YAML for an edit so it reads like the lines around it."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import yaml

_PLAIN_OK = re.compile(r"^[A-Za-z0-9_./$(-][^#]*$")
_NEEDS_QUOTES = re.compile(r":\s|\s#|^[-?:,\[\]{}#&*!|>'\"%@`]\s|^\s|\s$|:$")


# Words YAML 1.1 reads as booleans or null: never plain when meant as strings.
_SPECIAL = frozenset(
    [
        "y",
        "n",
        "yes",
        "no",
        "on",
        "off",
        "true",
        "false",
        "null",
        "~",
        "Y",
        "N",
        "Yes",
        "No",
        "On",
        "Off",
        "True",
        "False",
        "Null",
        "YES",
        "NO",
        "ON",
        "OFF",
        "TRUE",
        "FALSE",
        "NULL",
    ]
)
_OBVIOUSLY_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")


@cache
def plain_safe(s: str, in_flow: bool = False) -> bool:
    """Whether ``s`` can be written as a plain scalar and read back as the same string."""
    if _OBVIOUSLY_PLAIN.match(s) and s not in _SPECIAL:
        return True
    if not s or not _PLAIN_OK.match(s) or _NEEDS_QUOTES.search(s) or "\n" in s:
        return False
    if in_flow and any(c in s for c in ",[]{}"):
        return False
    try:
        return bool(yaml.load(f"k: {s}", Loader=yaml.CSafeLoader) == {"k": s})
    except yaml.YAMLError:
        return False


def scalar(value: Any, style: str | None = None, in_flow: bool = False) -> str:
    """One scalar; strings keep ``style`` (``'"'``, ``"'"``) when given, else plain when that reads back."""
    if isinstance(value, dict | list):
        return flow(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    s = str(value)
    if style == "'" and "\n" not in s:
        return "'" + s.replace("'", "''") + "'"
    if style == '"' or not plain_safe(s, in_flow):
        return json.dumps(s, ensure_ascii=False)
    return s


def flow(value: Any, json_only: bool = True) -> str:
    """Flow style: JSON (valid YAML too) for JSON files, else YAML flow with plain scalars where they read
    back (``{cidr: 0.0.0.0/0, except: [169.254.169.254/32]}``)."""
    if json_only:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{scalar(str(k), in_flow=True)}: {flow(v, False)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "[" + ", ".join(flow(v, False) for v in value) + "]"
    return scalar(value, in_flow=True)


def _is_leaf(v: Any) -> bool:
    return not isinstance(v, dict | list) or not v


def _leaf(v: Any) -> str:
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    return scalar(v)


def block(value: Any, indent: int, step: int = 2, seq_offset: int = 2) -> list[str]:
    """Block-style lines (no newlines) for a mapping or list at column ``indent``.

    ``step`` is the document's mapping indentation and ``seq_offset`` how far a list's dashes sit right of
    its parent key (0 for the ``kubectl`` style, 2 for the indented style).
    """
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            key = scalar(str(k))
            if _is_leaf(v):
                lines.append(f"{pad}{key}: {_leaf(v)}")
            elif isinstance(v, list):
                lines.append(f"{pad}{key}:")
                lines += block(v, indent + seq_offset, step, seq_offset)
            else:
                lines.append(f"{pad}{key}:")
                lines += block(v, indent + step, step, seq_offset)
        return lines
    if isinstance(value, list):
        for item in value:
            if _is_leaf(item):
                lines.append(f"{pad}- {_leaf(item)}")
            else:
                inner = block(item, indent + 2, step, seq_offset)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines += inner[1:]
        return lines
    return [pad + _leaf(value)]
