"""Fields the API server adds (status, managedFields, uid, defaults) cause no finding a scan would not make.

Every example of every scan rule is served the way the API server returns it — with ``status``,
``metadata.managedFields``, a uid, and the defaults it fills in (probe timeouts and thresholds, the
Deployment strategy, ``imagePullPolicy``, ``terminationMessagePath``, port protocols, ``dnsPolicy``...) —
and audited; the findings must be exactly those of ``llmlint scan`` on the manifest.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from llmlint.audit import facts_from_objects
from llmlint.catalog import rules
from llmlint.engine import Settings, analyse, scan

from .conftest import served

SCAN_RULES = sorted(r.id for r in rules().values() if not r.audit_only)


@pytest.mark.parametrize("rule", SCAN_RULES)
def test_served_examples_get_the_findings_of_a_scan(rule: str, tmp_path: Path) -> None:
    r = rules()[rule]
    checked = 0
    for kind, examples in (("bad", r.bad), ("good", r.good)):
        for i, ex in enumerate(examples):
            try:
                docs = [d for d in yaml.safe_load_all(ex.manifest) if isinstance(d, dict)]
            except yaml.YAMLError:
                continue  # the catalog's own tests report a broken example
            path = tmp_path / f"{kind}-{i}.yaml"
            path.write_text(ex.manifest, encoding="utf-8")
            want = {
                (f.rule, f.target.ref.kind, f.target.ref.name)
                for f in scan(
                    [str(path)], Settings(), context=False
                ).active  # the other examples are no context
            }
            objects = []
            for d in docs:
                d = copy.deepcopy(d)
                d.setdefault("metadata", {}).setdefault("namespace", "default")
                objects.append(served(d))
            facts, linted = facts_from_objects(objects)
            result = analyse([], Settings(ignore=["LLM1"]), extra=linted, cluster=facts)
            got = {(f.rule, f.target.ref.kind, f.target.ref.name) for f in result.active}
            assert got == want, (kind, i, "extra:", sorted(got - want), "missing:", sorted(want - got))
            checked += 1
    assert checked or not (r.bad or r.good)
