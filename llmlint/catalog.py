"""The rule catalog: one YAML file per rule under ``rules/`` (shipped in the wheel as ``llmlint/_catalog``).

Everything users read about a rule — its name, severity, rationale, fix safety, parameters, references and
examples — lives in that file; docs pages, SARIF rule entries and example tests are generated from it.
Parsing 26 files on every start would cost more than a pre-commit run may take, so the parsed catalog is
cached as JSON, keyed by the files' sizes and modification times.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DOCS_BASE = "https://github.com/llmlint/llmlint/blob/main/docs/rules"


@dataclass(frozen=True)
class Example:
    description: str
    manifest: str
    fixed: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    family: str
    summary: str
    rationale: str
    fix_safety: str | None  # "safe", "unsafe", or None when no fix is offered
    fix_description: str
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    references: list[dict[str, str]] = field(default_factory=list)
    bad: list[Example] = field(default_factory=list)
    good: list[Example] = field(default_factory=list)
    audit_only: bool = False
    frameworks: list[str] = field(default_factory=list)

    @property
    def docs_url(self) -> str:
        return f"{DOCS_BASE}/{self.id}.md"

    def default(self, param: str) -> Any:
        return self.parameters[param]["default"]


def catalog_dir() -> Path:
    here = Path(__file__).resolve().parent
    shipped = here / "_catalog"
    if shipped.is_dir():
        return shipped
    return here.parent / "rules"


def _rule_from(data: dict[str, Any]) -> Rule:
    fix = data.get("fix") or {}
    ex = data.get("examples") or {}

    def examples(key: str) -> list[Example]:
        return [Example(e.get("description", ""), e["manifest"], e.get("fixed")) for e in ex.get(key) or []]

    return Rule(
        id=data["id"],
        name=data["name"],
        severity=data["severity"],
        family=data.get("family", ""),
        summary=data["summary"].strip(),
        rationale=(data.get("rationale") or "").strip(),
        fix_safety=fix.get("safety"),
        fix_description=(fix.get("description") or "").strip(),
        parameters=data.get("parameters") or {},
        references=data.get("references") or [],
        bad=examples("bad"),
        good=examples("good"),
        audit_only=bool(data.get("audit_only", False)),
        frameworks=list(data.get("frameworks") or []),
    )


def _cache_file(files: list[Path]) -> Path:
    key = "".join(f"{f}:{f.stat().st_size}:{f.stat().st_mtime_ns};" for f in files)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "llmlint" / f"catalog-{zlib.crc32(key.encode()):08x}-{len(files)}.json"


@cache
def rules() -> dict[str, Rule]:
    d = catalog_dir()
    files = sorted(d.glob("LLM*.yaml"))
    cached: Path | None = None
    try:
        cached = _cache_file(files)
        raw = json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        import yaml

        raw = [yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) for f in files]
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(raw), encoding="utf-8")
                os.replace(tmp, cached)
                for old in cached.parent.glob("catalog-*.json"):
                    if old != cached:
                        old.unlink(missing_ok=True)
            except OSError:
                pass
    out = {r["id"]: _rule_from(r) for r in raw}
    return dict(sorted(out.items()))


def get(rule_id: str) -> Rule:
    return rules()[rule_id]
