"""Every rule's catalog entry: complete, with bad examples that fire and good ones that do not, and
fixes that clear the finding, are idempotent and give manifests the Kubernetes schema accepts."""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from helpers import cli

from llmlint import catalog
from llmlint.checks import load_all
from llmlint.engine import Settings, analyse
from llmlint.manifest.loader import SourceText, decode, load
from llmlint.model import Finding

RULES = catalog.rules()
SCAN_RULES = [r for r in RULES.values() if not r.audit_only]
K8S_VERSION = "1.33"
BUILTIN_GROUPS = (
    "v1",
    "apps/v1",
    "batch/v1",
    "policy/v1",
    "networking.k8s.io/v1",
    "autoscaling/v2",
    "autoscaling/v1",
)


def _scan_text(text: str, rule_id: str | None = None) -> list[str]:
    src = decode("example.yaml", text.encode())
    assert isinstance(src, SourceText)
    loaded = load(src)
    # Examples show their rule whether or not it is in the default set: every rule runs (``ALL``).
    result = analyse([loaded], Settings(select=[rule_id] if rule_id else ["ALL"]), errors=loaded.errors)
    assert not result.errors, [e.one_line() for e in result.errors]
    return [f.rule for f in result.active]


def _findings_of(text: str, rule_id: str) -> list[Finding]:
    src = decode("example.yaml", text.encode())
    assert isinstance(src, SourceText)
    loaded = load(src)
    return [f for f in analyse([loaded], Settings(select=[rule_id])).active if f.rule == rule_id]


def _examples(kind: str) -> list[tuple[str, int, str]]:
    return [(r.id, i, ex.manifest) for r in SCAN_RULES for i, ex in enumerate(getattr(r, kind))]


def test_every_rule_is_registered_and_documented() -> None:
    registry = load_all()
    for r in RULES.values():
        assert r.id in registry, f"{r.id} has no check"
        assert r.name and r.summary and r.rationale and r.severity in ("error", "warning", "info")
        assert r.bad, f"{r.id} has no bad example"
        assert r.good, f"{r.id} has no good example"
        if r.fix_safety:
            assert r.fix_safety in ("safe", "unsafe") and r.fix_description
    for rid in registry:
        assert rid in RULES, f"check {rid} has no catalog entry"


@pytest.mark.parametrize("rule", SCAN_RULES, ids=lambda r: r.id)
def test_fix_availability_and_safety_match_what_the_examples_emit(rule: catalog.Rule) -> None:
    """ruff's FixAvailability: ``always`` — every bad example's finding carries a fix; ``none`` — none does;
    ``sometimes`` — at least one does and one does not, or the entry says why the examples cannot show it
    (``fix.availability_note``). The declared safety is the least safe fix emitted: ``safe`` means every
    fix is safe, ``unsafe`` that at least one is unsafe."""
    assert rule.fix_availability in ("always", "sometimes", "none")
    assert (rule.fix_availability == "none") == (rule.fix_safety is None), rule.id
    findings = [f for ex in rule.bad for f in _findings_of(ex.manifest, rule.id)]
    assert findings
    fixed = [f.fix is not None for f in findings]
    if rule.fix_availability == "always":
        assert all(fixed), f"{rule.id}: declared always, a bad example's finding has no fix"
    elif rule.fix_availability == "none":
        assert not any(fixed), f"{rule.id}: declared none, a finding carries a fix"
    else:
        assert (any(fixed) and not all(fixed)) or rule.fix_availability_note, rule.id
    emitted = {f.fix.safety for f in findings if f.fix is not None}
    if rule.fix_safety == "safe":
        assert emitted <= {"safe"}, f"{rule.id}: declared safe, emits {emitted}"
    elif rule.fix_safety == "unsafe" and emitted:
        assert "unsafe" in emitted, f"{rule.id}: declared unsafe, emits only safe fixes"


def test_default_set_and_selection_by_name() -> None:
    opt_in = [r for r in RULES.values() if not r.enabled_by_default]
    assert {"LLM020", "LLM023"} <= {r.id for r in opt_in}
    default = Settings()
    assert default.enabled("LLM001") and not default.enabled("LLM020")
    assert Settings(select=["ALL"]).enabled("LLM020")
    assert Settings(select=["LLM020"]).enabled("LLM020")
    assert Settings(select=["no-network-policy"]).enabled("LLM020")
    assert Settings(select=["NO-NETWORK-POLICY"]).enabled("LLM020")  # the CLI upper-cases selectors
    assert not Settings(select=["LLM02"]).enabled("LLM020")  # a prefix selects only default rules
    assert Settings(select=["LLM02"]).enabled("LLM021")
    assert Settings(select=["missing-startup-probe"]).enabled("LLM001")
    assert not Settings(select=["missing-startup-probe"]).enabled("LLM002")
    assert not Settings(ignore=["missing-startup-probe"]).enabled("LLM001")
    assert not Settings(select=["ALL"], ignore=["LLM02"]).enabled("LLM020")
    assert catalog.resolve("missing-startup-probe") == ["LLM001"]
    assert catalog.resolve("no-such-rule") == []
    assert "LLM020" in catalog.resolve("ALL")


def test_rules_command_lists_the_catalog() -> None:
    code, out, _ = cli("rules", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert [r["id"] for r in listed] == list(RULES)
    assert all({"id", "name", "severity", "fix"} <= set(r) for r in listed)
    code, out, _ = cli("explain", "LLM003")
    assert code == 0 and "gpu-memory-utilization" in out and "## Why is this bad?" in out
    assert cli("explain", "LLM999")[0] == 2


@pytest.mark.parametrize(("rule_id", "index", "manifest"), _examples("bad"), ids=lambda v: str(v)[:12])
def test_bad_example_fires(rule_id: str, index: int, manifest: str) -> None:
    assert rule_id in _scan_text(manifest), f"{rule_id} bad example {index} did not fire"


@pytest.mark.parametrize(("rule_id", "index", "manifest"), _examples("good"), ids=lambda v: str(v)[:12])
def test_good_example_is_silent(rule_id: str, index: int, manifest: str) -> None:
    assert rule_id not in _scan_text(manifest), f"{rule_id} good example {index} fired"


def _validate(text: str) -> None:
    for doc in yaml.safe_load_all(text):
        if not doc or doc.get("apiVersion") not in BUILTIN_GROUPS:
            continue  # CRDs (LeaderWorkerSet, InferenceService) are not in the Kubernetes schema
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize(
    ("rule_id", "index", "manifest"),
    [e for e in _examples("bad") if RULES[e[0]].fix_safety],
    ids=lambda v: str(v)[:12],
)
def test_fix_clears_the_finding(tmp_path: Path, rule_id: str, index: int, manifest: str) -> None:
    path = tmp_path / "example.yaml"
    path.write_text(manifest)
    before = cli("scan", "--format", "json", "--select", rule_id, str(path))
    found = json.loads(before[1])["findings"]
    assert found, "bad example must fire"
    if all(f["fix"] is None for f in found):
        return  # this example shows a case the rule cannot fix (e.g. no image-pins configured)
    _code, out, err = cli("scan", "--fix", "--unsafe-fixes", "--select", rule_id, str(path))
    assert "Traceback" not in out + err
    fixed = path.read_text()
    assert fixed != manifest, f"{rule_id}: nothing was fixed ({err})"
    after = json.loads(cli("scan", "--format", "json", "--select", rule_id, str(path))[1])
    remaining = [f for f in after["findings"] if f["fix"] is not None]
    assert not remaining, f"{rule_id}: still fires after --fix: {remaining}"
    # idempotent: a second --fix changes no byte
    cli("scan", "--fix", "--unsafe-fixes", "--select", rule_id, str(path))
    assert path.read_text() == fixed
    # every comment survives, and the result is valid Kubernetes
    for line in manifest.splitlines():
        if line.strip().startswith("#"):
            assert line in fixed.splitlines()
    _validate(fixed)


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    rule = RULES["LLM006"]
    path = tmp_path / "e.yaml"
    path.write_text(rule.bad[1].manifest)  # bad[0]'s gp3 claim cannot be ReadWriteMany: no fix there
    cli("scan", "--fix", "--select", "LLM006", str(path))
    assert path.read_text() == rule.bad[1].manifest
    cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM006", str(path))
    assert "ReadWriteMany" in path.read_text()
