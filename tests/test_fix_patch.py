"""Issue 12: ``json_patch`` is the exact RFC 6902 equivalent of the text fix, against the object it names.

Checked with the real ``jsonpatch`` library over every bad example of the catalog: the patch applied to
the parsed object equals that object parsed from the fixed text.
"""

from __future__ import annotations

import json
from typing import Any

import jsonpatch
import pytest
import yaml

from llmlint import catalog
from llmlint.engine import Settings, analyse
from llmlint.fixes.patch import json_patch
from llmlint.fixes.run import annotate, fix_text
from llmlint.manifest.loader import SourceText, decode, load
from llmlint.model import AppendItem, ObjectRef, SetValue, Target

RULES = catalog.rules()
EXAMPLES = [
    (r.id, i, ex.manifest)
    for r in RULES.values()
    if r.fix_safety and not r.audit_only
    for i, ex in enumerate(r.bad)
]


def _objects(text: str) -> list[Any]:
    out = []
    for d in yaml.safe_load_all(text):
        if (
            isinstance(d, dict)
            and str(d.get("kind", "")).endswith("List")
            and isinstance(d.get("items"), list)
        ):
            out += d["items"]
        elif d:
            out.append(d)
    return out


def _find(objs: list[Any], ref: dict[str, Any]) -> Any:
    for o in objs:
        meta = o.get("metadata") or {}
        if (
            o.get("kind") == ref["kind"]
            and meta.get("name") == ref["name"]
            and meta.get("namespace") == ref["namespace"]
        ):
            return o
    raise AssertionError(f"{ref} not found")


def check_patches(text: str, rule_id: str | None = None) -> int:
    """Every fix of ``text``: its json_patch applied with jsonpatch == the fixed text's object. Returns
    how many patches were checked."""
    src = decode("example.yaml", text.encode())
    assert isinstance(src, SourceText)
    loaded = load(src, prefilter=False)
    result = analyse([loaded], Settings(select=[rule_id] if rule_id else ["ALL"]), errors=loaded.errors)
    annotate(result)
    docs = result.documents()["example.yaml"]
    checked = 0
    for f in result.active:
        fix = f.fix
        if fix is None or fix.json_patch is None:
            continue
        target = fix.patch_target or f.target.ref
        ref = target.to_json()
        before = _find(_objects(text), ref)
        after_text = fix_text(src, docs, fix)
        after = _find(_objects(after_text), ref)
        # as JSON (and the API server) has it: a copy at each alias use
        patched = jsonpatch.apply_patch(json.loads(json.dumps(before)), fix.json_patch)
        assert patched == after, (f.rule, fix.description, fix.json_patch)
        paths = [op["path"] for op in fix.json_patch if op["op"] == "add" and not op["path"].endswith("/-")]
        assert len(paths) == len(set(paths)), f"{f.rule}: two adds of one path {paths}"
        checked += 1
    return checked


@pytest.mark.parametrize(("rule_id", "index", "manifest"), EXAMPLES, ids=lambda v: str(v)[:12])
def test_json_patch_of_every_catalog_example_applies_with_jsonpatch(
    rule_id: str, index: int, manifest: str
) -> None:
    check_patches(manifest, rule_id)


def test_all_catalog_examples_with_every_rule() -> None:
    assert sum(check_patches(m) for _, _, m in EXAMPLES) >= len(EXAMPLES)


T = Target("x.yaml", 0, (), ObjectRef("apps/v1", "Deployment", None, "d"))


def test_two_adds_under_one_missing_parent_do_not_overwrite_each_other() -> None:
    obj = {"spec": {"strategy": {"type": "RollingUpdate"}}}
    edits = [
        SetValue(T, ("spec", "strategy", "rollingUpdate", "maxSurge"), 0),
        SetValue(T, ("spec", "strategy", "rollingUpdate", "maxUnavailable"), 1),
    ]
    ops = json_patch(obj, edits)
    assert jsonpatch.apply_patch(obj, ops) == {
        "spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}}
    }


def test_appends_to_a_missing_list_create_it_once() -> None:
    obj: dict[str, Any] = {"spec": {"containers": [{"name": "c"}]}}
    edits = [AppendItem(T, ("spec", "containers", 0, "args"), a) for a in ("--a", "--b", "--c")]
    ops = json_patch(obj, edits)
    assert [op["op"] for op in ops] == ["add", "add", "add"]
    assert ops[0]["path"] == "/spec/containers/0/args" and ops[1]["path"] == "/spec/containers/0/args/-"
    assert jsonpatch.apply_patch(obj, ops)["spec"]["containers"][0]["args"] == ["--a", "--b", "--c"]


def test_json_patch_of_a_fix_through_an_alias_use() -> None:
    from test_fix_writes import ALIAS_USE

    assert check_patches(ALIAS_USE, "LLM010") == 1
