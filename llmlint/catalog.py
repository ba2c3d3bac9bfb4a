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
from functools import cache
from typing import Any, NamedTuple

DOCS_BASE = "https://github.com/llmlint/llmlint/blob/main/docs/rules"


class Example(NamedTuple):
    description: str
    manifest: str
    fixed: str | None = None


class Rule(NamedTuple):
    id: str
    name: str
    severity: str
    family: str
    summary: str
    rationale: str
    fix_safety: str | None  # "safe", "unsafe", or None when no fix is offered
    fix_description: str
    parameters: dict[str, dict[str, Any]]
    references: list[dict[str, str]]
    bad: list[Example]
    good: list[Example]
    frameworks: list[str]
    audit_only: bool = False

    @property
    def docs_url(self) -> str:
        return f"{DOCS_BASE}/{self.id}.md"

    def default(self, param: str) -> Any:
        return self.parameters[param]["default"]


def catalog_dir() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    shipped = os.path.join(here, "_catalog")
    if os.path.isdir(shipped):
        return shipped
    return os.path.join(os.path.dirname(here), "rules")


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


def _cache_file(files: list[str]) -> str:
    stats = [(f, os.stat(f)) for f in files]
    key = "".join(f"{f}:{st.st_size}:{st.st_mtime_ns};" for f, st in stats)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "llmlint", f"catalog-{zlib.crc32(key.encode()):08x}-{len(files)}.json")


def _write_cache(path: str, raw: list[Any]) -> None:
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(raw, fh)
        os.replace(tmp, path)
        for old in os.listdir(folder):
            if old.startswith("catalog-") and old.endswith(".json") and os.path.join(folder, old) != path:
                os.unlink(os.path.join(folder, old))
    except OSError:
        pass


@cache
def rules() -> dict[str, Rule]:
    d = catalog_dir()
    files = sorted(os.path.join(d, n) for n in os.listdir(d) if n.startswith("LLM") and n.endswith(".yaml"))
    cached: str | None = None
    try:
        cached = _cache_file(files)
        with open(cached, encoding="utf-8") as fh:
            raw = json.load(fh)
    except (OSError, ValueError):
        import yaml

        raw = []
        for f in files:
            with open(f, encoding="utf-8") as fh:
                raw.append(yaml.load(fh.read(), Loader=yaml.CSafeLoader))
        if cached is not None:
            _write_cache(cached, raw)
    out = {r["id"]: _rule_from(r) for r in raw}
    return dict(sorted(out.items()))


def get(rule_id: str) -> Rule:
    return rules()[rule_id]
