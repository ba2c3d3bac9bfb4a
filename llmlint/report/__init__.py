"""Reporters: each turns a scan result into one output format. None of them reads a manifest."""

from __future__ import annotations

from typing import Any

from llmlint.engine import ScanResult
from llmlint.model import Finding

STDIN_NAME = "-"  # what every format calls standard input (text, json, github, sarif, junit)


def printable(text: str) -> str:
    """``text`` from the input shown on one line: control characters and line breaks escaped."""
    from llmlint.report.redact import printable as escaped

    return escaped(text)


def plural(n: int, noun: str) -> str:
    """``1 object``, ``2 objects``, ``1 match``, ``3 matches``."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {noun}{'es' if noun.endswith(('s', 'x', 'ch', 'sh')) else 's'}"


def rule_url(rule_id: str) -> str | None:
    from llmlint import catalog

    r = catalog.rules().get(rule_id)
    return r.docs_url if r is not None else None


def finding_json(f: Finding, refs: dict[Any, Any] | None = None) -> dict[str, Any]:
    fix: dict[str, Any] | None = None
    if f.fix is not None:
        fix = {
            "safety": f.fix.safety,
            "description": f.fix.description,
            "diff": f.fix.diff,
            "json_patch": f.fix.json_patch,
        }
        if f.fix.patch_target is not None:
            fix["target"] = f.fix.patch_target.to_json()
        if f.fix.creates:
            fix["creates"] = f.fix.creates
    return {
        "rule": f.rule,
        "name": f.name,
        "severity": f.severity,
        "message": f.message,
        "file": f.file,
        "line": f.line,
        "column": f.column,
        "object": f.target.ref.to_json(),
        "container": f.container,
        "fix": fix,
        "url": rule_url(f.rule),
    }


def render(fmt: str, result: ScanResult, *, color: bool = False, extra: dict[str, Any] | None = None) -> str:
    if fmt == "json":
        from llmlint.report.json_report import render as r
    elif fmt == "sarif":
        from llmlint.report.sarif import render as r
    elif fmt == "github":
        from llmlint.report.github import render as r
    elif fmt == "junit":
        from llmlint.report.junit import render as r
    else:
        from llmlint.report.text import render as r
    return r(result, color=color, extra=extra or {})
