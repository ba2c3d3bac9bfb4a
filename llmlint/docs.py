"""Rule pages, generated from the catalog (``python -m llmlint.docs`` rewrites ``docs/rules/``)."""

from __future__ import annotations

import sys
from pathlib import Path

from llmlint import catalog
from llmlint.catalog import Rule


def _fence(text: str, lang: str = "yaml") -> str:
    return f"```{lang}\n{text.rstrip()}\n```\n"


def rule_page(r: Rule) -> str:
    out = [f"# {r.id} `{r.name}`\n"]
    meta = f"**Severity:** {r.severity} · **Family:** {r.family}"
    meta += f" · **Fix:** {r.fix_safety}" if r.fix_safety else " · **Fix:** none"
    if r.audit_only:
        meta += " · **Audit only** (`llmlint audit`)"
    if r.frameworks:
        meta += " · **Frameworks:** " + ", ".join(r.frameworks)
    out.append(meta + "\n")
    out.append("## What it does\n")
    out.append(r.summary + "\n")
    out.append("## Why is this bad?\n")
    out.append(r.rationale + "\n")
    if r.bad:
        out.append("## Example\n")
        for ex in r.bad:
            if ex.description:
                out.append(ex.description + "\n")
            out.append(_fence(ex.manifest))
            if ex.fixed:
                out.append("After `llmlint scan --fix" + (" --unsafe-fixes" if r.fix_safety == "unsafe" else "") + "`:\n")
                out.append(_fence(ex.fixed))
    if r.good:
        out.append("## Use instead\n")
        for ex in r.good:
            if ex.description:
                out.append(ex.description + "\n")
            out.append(_fence(ex.manifest))
    out.append("## Fix safety\n")
    if r.fix_safety:
        how = "`--fix`" if r.fix_safety == "safe" else "`--fix --unsafe-fixes`"
        out.append(f"{r.fix_description}\n\nThis fix is **{r.fix_safety}**: applied by {how}.\n")
    else:
        out.append((r.fix_description or "No automatic fix.") + "\n")
    if r.parameters:
        out.append("## Parameters\n")
        out.append("Set in `.llmlint.yaml` (or `[tool.llmlint]` in `pyproject.toml`).\n")
        out.append("| key | default | meaning |\n|---|---|---|")
        for name, spec in r.parameters.items():
            default = spec.get("default")
            out.append(f"| `{name}` | `{default}` | {spec.get('description', '')} |")
        out.append("")
    out.append("## Suppression\n")
    out.append(
        f'Annotate the object with `llmlint.io/ignore: "{r.id}"`, or end the line the finding points at '
        f"with `# llmlint: ignore[{r.id}]`.\n"
    )
    if r.references:
        out.append("## References\n")
        for ref in r.references:
            out.append(f"- [{ref.get('title', ref.get('url'))}]({ref.get('url')})")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def index_page(rules: list[Rule]) -> str:
    lines = ["# Rules\n", "| ID | name | severity | fix | summary |", "|---|---|---|---|---|"]
    for r in rules:
        lines.append(f"| [{r.id}]({r.id}.md) | `{r.name}` | {r.severity} | {r.fix_safety or '—'} | {r.summary} |")
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    rules = list(catalog.rules().values())
    out = {f"{r.id}.md": rule_page(r) for r in rules}
    out["README.md"] = index_page(rules)
    return out


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in pages().items():
        p = directory / name
        if not p.exists() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8")
            written.append(p)
    return written


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")
    for p in write(target):
        print(f"wrote {p}")
