"""The rule catalog: one YAML file per rule under ``rules/`` (shipped in the wheel as ``llmlint/_catalog``).

Everything users read about a rule — its name, severity, rationale, fix safety, parameters, references and
examples — lives in that file; docs pages, SARIF rule entries and example tests are generated from it.
Parsing 26 files on every start would cost more than a pre-commit run may take, so the parsed catalog is
cached (:mod:`llmlint.cache`), keyed by the files' sizes and modification times.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, NamedTuple

from llmlint.cache import cached

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
    # False: opt-in, run only when ``select`` names the rule (ID or name) or says ``ALL``.
    enabled_by_default: bool = True
    # ruff's FixAvailability: does every finding carry a fix ("always"), some ("sometimes"), or none?
    fix_availability: str = "none"
    fix_availability_note: str = ""

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
        enabled_by_default=bool(data.get("default", True)),
        fix_availability=fix.get("availability") or ("always" if fix.get("safety") else "none"),
        fix_availability_note=(fix.get("availability_note") or "").strip(),
    )


@cache
def rules() -> dict[str, Rule]:
    d = catalog_dir()
    files = sorted(os.path.join(d, n) for n in os.listdir(d) if n.startswith("LLM") and n.endswith(".yaml"))

    def parse() -> list[Any]:
        import yaml

        out = []
        for f in files:
            with open(f, encoding="utf-8") as fh:
                out.append(yaml.load(fh.read(), Loader=yaml.CSafeLoader))
        return out

    raw = cached("catalog", files, parse)
    out = {r["id"]: _rule_from(r) for r in raw}
    return dict(sorted(out.items()))


def get(rule_id: str) -> Rule:
    return rules()[rule_id]


@cache
def by_name() -> dict[str, str]:
    """Rule name (``missing-startup-probe``) → ID."""
    return {r.name: r.id for r in rules().values()}


def matches(pattern: str, rule_id: str) -> bool:
    """Does a selector (an ID, a rule name, an ID prefix such as ``LLM01``, or ``ALL``) cover ``rule_id``?
    Case does not matter."""
    p = pattern.strip()
    up = p.upper()
    if not up:
        return False
    if up == "ALL" or up == rule_id or rule_id.startswith(up):
        return True
    return by_name().get(p.lower()) == rule_id


def names_exactly(pattern: str, rule_id: str) -> bool:
    """Is ``rule_id`` named by ``pattern`` itself (its ID or its name, or ``ALL``), not only by a prefix?
    Opt-in rules are enabled only so."""
    p = pattern.strip()
    return p.upper() in ("ALL", rule_id) or by_name().get(p.lower()) == rule_id


def resolve(pattern: str) -> list[str]:
    """The rule IDs a selector covers (empty when it names no rule: an unknown ID or name)."""
    return [rid for rid in rules() if matches(pattern, rid)]
