"""``--format json``: one object on stdout, as DESIGN.md section 2 defines it."""

from __future__ import annotations

import json
from typing import Any

from llmlint.engine import ScanResult
from llmlint.report import finding_json


def document(result: ScanResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    active = result.active
    out: dict[str, Any] = {
        "version": 1,
        "findings": [finding_json(f) for f in active],
        "errors": [e.to_json() for e in result.errors],
        "summary": {
            "files": result.files,
            "objects": result.objects,
            "findings": len(active),
            "errors": len(result.errors),
            "suppressed": result.suppressed,
        },
    }
    for k, v in (extra or {}).items():
        out[k] = v
    return out


def render(result: ScanResult, *, color: bool = False, extra: dict[str, Any] | None = None) -> str:
    return json.dumps(document(result, extra), indent=2, ensure_ascii=False) + "\n"
