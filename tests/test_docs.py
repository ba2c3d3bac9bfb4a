"""docs/: a generated page for every rule in rules/ (a test fails when one is stale), and the guides."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml
from helpers import ROOT

from llmlint import catalog, docs

DOCS = ROOT / "docs"
GUIDES = [
    "getting-started",
    "github-actions",
    "gitlab-ci",
    "pre-commit",
    "configuration",
    "suppression",
    "helm-kustomize",
]


def _rule_ids_on_disk() -> list[str]:
    return sorted(
        yaml.safe_load(p.read_text(encoding="utf-8"))["id"] for p in (ROOT / "rules").glob("LLM*.yaml")
    )


def test_every_rule_has_an_up_to_date_page(tmp_path: Path) -> None:
    out = tmp_path / "rules"
    proc = subprocess.run(
        [sys.executable, "-m", "llmlint.docs", str(out)], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    generated = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.md")}
    assert set(generated) == {f"{i}.md" for i in _rule_ids_on_disk()} | {"README.md"}
    committed = {p.name: p.read_text(encoding="utf-8") for p in (DOCS / "rules").glob("*.md")}
    stale = sorted(n for n in generated if committed.get(n) != generated[n])
    extra = sorted(set(committed) - set(generated))
    assert not stale and not extra, (
        f"docs/rules is out of date (stale: {stale}, no longer generated: {extra}); "
        "run `python -m llmlint.docs docs/rules`"
    )


def test_generation_is_deterministic() -> None:
    assert docs.pages() == docs.pages()


def test_pages_show_the_real_fix() -> None:
    for r in catalog.rules().values():
        page = docs.rule_page(r)
        assert page.startswith(f"# {r.id} `{r.name}`")
        for section in ("## What it does", "## Why is this bad?", "## Fix safety", "## Suppression"):
            assert section in page
        assert f"ignore[{r.id}]" in page
        assert "not scanned" not in page, f"{r.id}: an example could not be scanned or fixed"
    # rules whose fixes are known to rewrite their bad examples: the diff is the fixer's, not prose
    llm003 = docs.rule_page(catalog.get("LLM003"))
    assert "```diff" in llm003 and "+" in llm003 and "0.90" in llm003.split("```diff")[1]
    llm007 = docs.rule_page(catalog.get("LLM007"))
    assert "+          image: vllm/vllm-openai" in llm007
    assert "reports:" in llm007 and "LLM007" in llm007.split("reports:")[1]


def test_docs_index_links_resolve() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for g in GUIDES:
        assert (DOCS / "guides" / f"{g}.md").is_file(), g
        assert f"guides/{g}.md" in index
    assert "rules/README.md" in index
    for page in [DOCS / "README.md", *(DOCS / "guides").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_guides_mention_what_they_promise() -> None:
    text = {g: (DOCS / "guides" / f"{g}.md").read_text(encoding="utf-8") for g in GUIDES}
    assert "upload-sarif" in text["github-actions"] and "--format sarif" in text["github-actions"]
    assert "junit" in text["gitlab-ci"]
    assert "try-repo" in text["pre-commit"] or "pre-commit-config" in text["pre-commit"]
    assert "helm template" in text["helm-kustomize"] and "llmlint scan -" in text["helm-kustomize"]
    assert "kustomize" in text["helm-kustomize"]
    assert "llmlint.io/ignore" in text["suppression"] and "# llmlint: ignore[" in text["suppression"]
    for key in ("select", "ignore", "severity", "exclude", "fail-on"):
        assert key in text["configuration"]


def test_guides_show_the_real_output_of_their_commands() -> None:
    """getting-started's samples are what the commands print now (``python -m llmlint.docs --guides``)."""
    for name in docs.GUIDES_WITH_OUTPUT:
        page = (DOCS / name).read_text(encoding="utf-8")
        blocks = re.findall(
            r"<!-- output: (llmlint [^\n]*?) -->\n```console\n\$ (.*?)\n(.*?)```\n<!-- /output -->",
            page,
            re.S,
        )
        assert blocks, f"{name} has no output block"
        for command, shown_command, shown in blocks:
            assert shown_command == command
            assert shown.rstrip() == docs.command_output(command, ROOT).rstrip(), (
                f"{name}: the output of `{command}` changed; run `python -m llmlint.docs --guides`"
            )


def test_the_article_is_named_where_it_is_cited() -> None:
    for page in [ROOT / "README.md", DOCS / "README.md", *(DOCS / "guides").glob("*.md")]:
        text = page.read_text(encoding="utf-8")
        if "the article" in text.lower():
            assert "cell-devlog.tistory.com/248" in text, (
                f"{page.relative_to(ROOT)} cites the article unnamed"
            )


def test_docs_readme_names_the_json_contract_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    assert "json-format.md" in index and "DESIGN" not in index
    page = (DOCS / "json-format.md").read_text(encoding="utf-8")
    for key in ("input_errors", "by_severity", "fixable", "url", "json_patch", "warnings"):
        assert f"`{key}`" in page, key
